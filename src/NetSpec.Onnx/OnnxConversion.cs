using System.Text;
using NetSpec.Parser;
using NetSpec.Parser.Diagnostics;
using NetSpec.Parser.Model;
using NetSpec.Runtime;
using NetSpec.Runtime.Ops;
using Onnx;

namespace NetSpec.Onnx;

/// <summary>
/// One import: the ONNX graph's tensors (<see cref="OnnxValue"/>), each ONNX node mapped by
/// <see cref="OnnxNodeMapper"/>, and the spec model built from them. Float tensors are declared
/// when a node first reads them: a graph input as data (a rank-1 one as a parameter, where a
/// vector stays a vector), an initializer or Constant node as a parameter. Integer tensors known
/// at import are constants (axes, class labels); any other element type, or an integer tensor
/// where a float one is read, is refused by name. The ops whose forms are read are the
/// registry's, unless a test of the machinery passes others.
/// </summary>
internal sealed class OnnxConversion(ModelProto model, string specName, IReadOnlyList<TensorProto>? testInputs, IReadOnlyList<TensorProto>? testOutputs, IEnumerable<Op>? ops = null)
{
    private readonly GraphProto _g = model.Graph ?? throw new OnnxImportException("the model has no graph");
    private readonly Dictionary<string, OnnxValue> _tensors = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _names = new(StringComparer.Ordinal);   // ONNX name -> NetSpec name
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);   // ONNX names read by a node or a graph output
    private readonly Dictionary<string, string> _oneHot = new(StringComparer.Ordinal);  // labels + classes -> NetSpec name
    private readonly List<DataDecl> _data = [];
    private readonly List<ParameterDecl> _parameters = [];
    private readonly List<NodeDecl> _nodes = [];
    private readonly Dictionary<string, string> _comments = new(StringComparer.Ordinal);
    private int _elemType;
    private string? _objective;
    private SourceSpan _span;

    public ImportedSpec Run()
    {
        string name = _g.Name.Length > 0 ? _g.Name : specName;
        _span = SourceSpan.None(specName + ".yaml");
        int opset = model.OpsetImport.Where(o => o.Domain.Length == 0 || o.Domain == "ai.onnx").Select(o => (int)Math.Clamp(o.Version, 0, int.MaxValue)).DefaultIfEmpty(0).Max();
        if (opset == 0) throw new OnnxImportException("the model imports no opset of the standard ONNX domain");

        var initializers = _g.Initializer.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var t in _g.Initializer) AddTensor(t, $"initializer '{t.Name}'", null, isInput: false);
        var graphInputs = _g.Input.Where(i => !initializers.Contains(i.Name)).ToList();
        if (testInputs is not null && testInputs.Count != graphInputs.Count)
            throw new OnnxImportException($"the test data has {testInputs.Count} input files but the graph has {graphInputs.Count} inputs");
        if (testOutputs is not null && testOutputs.Count != _g.Output.Count)
            throw new OnnxImportException($"the test data has {testOutputs.Count} output files but the graph has {_g.Output.Count} outputs");
        for (int j = 0; j < graphInputs.Count; j++) AddInput(graphInputs[j], testInputs?[j]);

        foreach (var n in _g.Node) _read.UnionWith(n.Input.Where(i => i.Length > 0));
        _read.UnionWith(_g.Output.Select(o => o.Name));
        for (int i = 0; i < _g.Node.Count; i++) Convert(_g.Node[i], i, opset);
        var outputNames = new string[_g.Output.Count];
        for (int j = 0; j < _g.Output.Count; j++)
        {
            var o = _g.Output[j];
            if (!_tensors.TryGetValue(o.Name, out var t)) throw new OnnxImportException($"graph output '{o.Name}' is not computed by any node");
            if (!t.IsFloat)
                throw new OnnxImportException($"graph output '{o.Name}' ({t.Where}) has element type {t.TypeName}; NetSpec computes in float32 or float64");
            outputNames[j] = Declared(t);
        }
        if (_nodes.Count == 0)
        {
            // Only constants (or inputs) reach the outputs: each is read through an identity node, as a spec needs one.
            if (_g.Output.Count == 0) throw new OnnxImportException("the model has no node NetSpec computes and no output: a spec needs at least one node");
            for (int j = 0; j < _g.Output.Count; j++)
            {
                string through = Declare(_g.Output[j].Name + "_out");
                AddNode(through, OpRegistry.Find("identity")!, [new NodeArg("x", new ArgScalar(outputNames[j], null, _span), _span)],
                    $"graph output '{_g.Output[j].Name}' is {_tensors[_g.Output[j].Name].Where}, not computed: read through an identity node (a spec needs a node)");
                outputNames[j] = through;
            }
        }

        var expectations = new List<Expectation>();
        var expectComments = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int j = 0; j < _g.Output.Count; j++)
        {
            var o = _g.Output[j];
            string value = outputNames[j];
            if (testOutputs is null) continue;
            var expected = testOutputs[j];
            // A bool output (Dropout's mask) is compared as 0 and 1: NetSpec computes it as a float tensor of ones.
            bool asBool = expected.DataType == OnnxTensors.Bool && o.Type?.TensorType?.ElemType == OnnxTensors.Bool;
            if (expected.DataType is not (OnnxTensors.Float or OnnxTensors.Double) && !asBool)
                throw new OnnxImportException($"test output {j} ('{o.Name}') has element type {OnnxTensors.TypeName(expected.DataType)}; NetSpec computes in float32 or float64");
            var dims = Dims(expected, $"test output {j} ('{o.Name}')");
            if (dims.Contains(0)) throw new OnnxImportException($"test output {j} ('{o.Name}') has shape [{string.Join(", ", dims)}], with no elements; NetSpec tensors hold at least one value");
            var values = Read(expected, $"test output {j} ('{o.Name}')");
            double tol = asBool ? 0 : expected.DataType == OnnxTensors.Double
                ? OnnxImporter.ToleranceFor(values, OnnxImporter.Float64Rtol, OnnxImporter.Float64Atol)
                : OnnxImporter.ToleranceFor(values);
            expectations.Add(new Expectation(ExpectKind.Forward, new NameRef(value, _span), new TensorLiteral(dims, values, _span), tol, 1));
            expectComments[value] = $"ONNX test output {j} ('{o.Name}')" + (asBool ? ", bool: true as 1, false as 0" : "");
        }

        string opsets = string.Join(", ", model.OpsetImport.Select(o => $"{(o.Domain.Length == 0 ? "ai.onnx" : o.Domain)} {o.Version}"));
        string description = $"ONNX model {name}" + (model.ProducerName.Length > 0 ? $" by {model.ProducerName} {model.ProducerVersion}".TrimEnd() : "") + $", opset {opsets}";
        var doc = new SpecDocument(_span.File, 1, name, description, null, _elemType == OnnxTensors.Double ? DType.Float64 : DType.Float32,
            [], _data, _parameters, _nodes, _objective is null ? null : new BackwardDecl(new NameRef(_objective, _span), null, _span),
            null, 1e-9, expectations);
        var comments = new SpecComments
        {
            Header = ["Imported from an ONNX model by 'netspec import'."],
            Values = _comments,
            Expectations = expectComments,
            Expect = expectations.Count == 0 ? [] :
            [
                "ONNX compares with rtol 1e-3, atol 1e-7: |a - e| <= 1e-7 + 1e-3 |e| (float64 outputs here:",
                "rtol 1e-9, atol 1e-10). NetSpec's rule is |a - e| <= tol max(1, |e|); each tolerance below",
                "is the largest that is at least as strict as that rule for every element of its value.",
            ],
        };
        return new ImportedSpec(doc, comments);
    }

    private void AddTensor(TensorProto t, string where, string? comment, bool isInput)
    {
        var dims = Dims(t, where);
        if (t.DataType is OnnxTensors.Float or OnnxTensors.Double)
            _tensors[t.Name] = new OnnxValue(t.Name, dims, t.DataType, where) { Values = Read(t, where), Comment = comment ?? $"ONNX {where}", IsGraphInput = isInput, Known = true };
        else if (OnnxTensors.IsInteger(t.DataType))
            _tensors[t.Name] = new OnnxValue(t.Name, dims, t.DataType, where) { Integers = ReadIntegers(t, where), IsGraphInput = isInput, Known = true };
        else
            // Half precision, strings, complex: kept by name so that a node reading it is refused naming its type.
            _tensors[t.Name] = new OnnxValue(t.Name, dims, t.DataType, where) { IsGraphInput = isInput };
    }

    private void AddInput(ValueInfoProto input, TensorProto? test)
    {
        string where = $"graph input '{input.Name}'";
        var type = input.Type?.TensorType ?? throw new OnnxImportException(
            $"{where} is not a tensor{(input.Type is { } t ? " but " + KindText(t) : "")}; NetSpec reads tensors only");
        if (test is not null)
        {
            if (test.DataType != type.ElemType)
                throw new OnnxImportException($"{where} is {OnnxTensors.TypeName(type.ElemType)} but its test data is {OnnxTensors.TypeName(test.DataType)}");
            test = test.Clone();
            test.Name = input.Name;
            AddTensor(test, where, $"ONNX {where}, from the test data", isInput: true);
            return;
        }
        var dims = (type.Shape?.Dim ?? []).Select(d => d.HasDimValue ? d.DimValue : 1).ToArray();
        if (dims.Any(d => d < 0 || d > int.MaxValue)) throw new OnnxImportException($"{where} has a dimension out of range [{string.Join(", ", dims)}]");
        int[] shape = [.. dims.Select(d => (int)d)];
        long count = shape.Aggregate(1L, (a, b) => a * b);
        if (count > 50_000_000) throw new OnnxImportException($"{where} has {count} elements, too many to write as zeros");
        bool symbolic = (type.Shape?.Dim ?? []).Any(d => !d.HasDimValue);
        _tensors[input.Name] = new OnnxValue(input.Name, shape, type.ElemType, where)
        {
            // Integer inputs without test data are not known at import: no constant values.
            Values = type.ElemType is OnnxTensors.Float or OnnxTensors.Double ? new double[count] : null,
            Comment = "zeros: replace with real inputs (or import with --test-data)" + (symbolic ? "; symbolic dimensions taken as 1" : ""),
            IsGraphInput = true,
        };
    }

    /// <summary>An ONNX type that is not a tensor, for messages: "an optional", "a sequence", "a map".</summary>
    private static string KindText(TypeProto t) => t.ValueCase switch
    {
        TypeProto.ValueOneofCase.OptionalType => "an optional",
        TypeProto.ValueOneofCase.SequenceType => "a sequence",
        TypeProto.ValueOneofCase.MapType => "a map",
        TypeProto.ValueOneofCase.SparseTensorType => "a sparse tensor",
        TypeProto.ValueOneofCase.None => "of no type",
        _ => "a " + t.ValueCase.ToString().ToLowerInvariant(),
    };

    private void Convert(NodeProto node, int index, int opset)
    {
        string label = string.IsNullOrEmpty(node.Name) ? $"#{index}" : node.Name;
        string where = $"node '{label}' ({node.OpType})";
        if (!string.IsNullOrEmpty(node.Domain) && node.Domain != "ai.onnx")
            throw new OnnxImportException($"{where} is from the op domain '{node.Domain}'; NetSpec imports standard ONNX ops only");
        if (node.Output.Count < 1 || node.Output[0].Length == 0) throw new OnnxImportException($"{where} has no output");
        foreach (var i in node.Input.Where(i => i.Length > 0))
            if (!_tensors.ContainsKey(i)) throw new OnnxImportException($"{where} reads '{i}', which no input, initializer or earlier node defines");
        if (node.OpType == "Constant")
        {
            ConstantNode(node, where);
            return;
        }
        if (SplitLogProb(node, label) is { } parts)
        {
            foreach (var part in parts) Convert(part, index, opset);
            return;
        }

        if (OnnxConstantFolding.Fold(node, opset, _tensors, where)) return;
        (node, int nodeOpset) = OnnxConstantFolding.Normalize(node, opset, _tensors);
        var plan = OnnxNodeMapper.Map(node, nodeOpset, name => _tensors[name], _read.Contains, where, ops);
        string output = node.Output[0];
        var args = new List<NodeArg>();
        foreach (var (slot, sources) in plan.Inputs)
        {
            var names = sources.Select(s => Source(s, output, label)).ToList();
            args.Add(new NodeArg(slot.Name, slot.IsList ? new ArgList([.. names.Select(n => new ArgScalar(n, null, _span))], _span) : new ArgScalar(names[0], null, _span), _span));
        }
        for (int i = 0; i < plan.Op.Attributes.Count; i++)
        {
            var spec = plan.Op.Attributes[i];
            var v = plan.Attributes[i];
            if (spec.Default is { } d && OnnxNodeMapper.Same(d, v)) continue;   // written only where it differs from NetSpec's default
            args.Add(new NodeArg(spec.Name, Arg(v, spec.Type), _span));
        }
        string origin = string.IsNullOrEmpty(node.Name) ? $"ONNX {node.OpType}, node #{index}" : $"ONNX {node.OpType} '{label}'";
        if (plan.Then is { } then)
        {
            string first = Declare(output + "_" + plan.Op.Name);
            AddNode(first, plan.Op, args, $"{origin}, {FormText(plan.Form)}: {plan.Op.Name}, then {then.Name}");
            string last = Declare(output);
            AddNode(last, then, [new NodeArg(then.Inputs[0].Name, new ArgScalar(first, null, _span), _span)], $"{origin}: the {then.Name} of {first}");
            _tensors[output] = new OnnxValue(output, [.. plan.ThenOutput!.Dims], FloatType, $"output '{output}' of {where}") { NetSpec = last };
            if (plan.Op.Category == "loss" && plan.ThenOutput!.Rank == 0) _objective ??= last;
        }
        else
        {
            string name = Declare(output);
            AddNode(name, plan.Op, args, origin + (plan.Form.Fixed.Count > 0 ? $", {FormText(plan.Form)}" : ""));
            _tensors[output] = new OnnxValue(output, [.. plan.Output.Dims], FloatType, $"output '{output}' of {where}") { NetSpec = name };
            if (plan.Op.Category == "loss" && plan.Output.Rank == 0) _objective ??= name;
        }
        foreach (var extra in plan.Extra) AddOutput(extra, origin, where);
    }

    /// <summary>The nodes of an extra ONNX output: its chain's steps, the last named after the output.</summary>
    private void AddOutput(OutputPlan extra, string origin, string where)
    {
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int s = 0; s < extra.Steps.Count; s++)
        {
            var step = extra.Steps[s];
            bool last = s == extra.Steps.Count - 1;
            string name = Declare(last ? extra.OnnxName : $"{extra.OnnxName}_{step.Name}");
            names[step.Name] = name;
            string comment = $"{origin}, output {extra.Index + 1} ('{extra.OnnxName}')" + (last ? "" : $", step {step.Name}");
            if (step.Op is null)
            {
                var ones = new double[step.Shape.Length];
                Array.Fill(ones, 1.0);
                if (_elemType == 0) _elemType = FloatType;
                AddData(name, new TensorLiteral([.. step.Shape.Dims], ones, _span), comment + ": ones");
            }
            else
            {
                var args = new List<NodeArg>();
                for (int i = 0; i < step.Inputs.Count; i++)
                {
                    var (slot, source) = step.Inputs[i];
                    string value = source switch
                    {
                        FromStep fs => names[fs.Step],
                        ScalarConstant c => Constant(name, i, c.Value, comment),
                        _ => Source(source, extra.OnnxName, where),
                    };
                    var arg = new ArgScalar(value, null, _span);
                    args.Add(new NodeArg(slot.Name, slot.IsList ? new ArgList([arg], _span) : arg, _span));
                }
                for (int i = 0; i < step.Op.Attributes.Count; i++)
                {
                    var spec = step.Op.Attributes[i];
                    if (spec.Default is { } d && OnnxNodeMapper.Same(d, step.Attributes[i])) continue;
                    args.Add(new NodeArg(spec.Name, Arg(step.Attributes[i], spec.Type), _span));
                }
                AddNode(name, step.Op, args, comment);
            }
            if (last)
                _tensors[extra.OnnxName] = new OnnxValue(extra.OnnxName, [.. step.Shape.Dims], FloatType, $"output '{extra.OnnxName}' of {where}") { NetSpec = name };
        }
    }

    /// <summary>A scalar constant of a chain step, declared as data.</summary>
    private string Constant(string step, int input, double value, string comment)
    {
        string name = Declare($"{step}_c{input}");
        AddData(name, new TensorLiteral([], [value], _span), comment + $": the constant {SpecFormatter.Number(value)}");
        return name;
    }

    /// <summary>
    /// A SoftmaxCrossEntropyLoss with its second output (log_prob) as the two nodes ONNX defines it
    /// by: LogSoftmax along axis 1 giving log_prob, then NegativeLogLikelihoodLoss on it with the
    /// same labels, weights, reduction and ignore_index giving the loss; null for any other node.
    /// </summary>
    private static NodeProto[]? SplitLogProb(NodeProto node, string label)
    {
        if (node.OpType != "SoftmaxCrossEntropyLoss" || node.Output.Count < 2 || node.Output[1].Length == 0 || node.Input.Count < 2) return null;
        var logSoftmax = new NodeProto { OpType = "LogSoftmax", Name = $"{label}/log_prob" };
        logSoftmax.Input.Add(node.Input[0]);
        logSoftmax.Output.Add(node.Output[1]);
        logSoftmax.Attribute.Add(new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
        var nll = new NodeProto { OpType = "NegativeLogLikelihoodLoss", Name = string.IsNullOrEmpty(node.Name) ? "" : node.Name };
        nll.Input.Add(node.Output[1]);
        nll.Input.AddRange(node.Input.Skip(1));
        nll.Output.Add(node.Output[0]);
        nll.Attribute.AddRange(node.Attribute.Select(a => a.Clone()));
        return [logSoftmax, nll];
    }

    /// <summary>The element type of node outputs: the model's, float until a tensor says otherwise.</summary>
    private int FloatType => _elemType == 0 ? OnnxTensors.Float : _elemType;

    private static string FormText(OnnxForm form) => string.Join(", ", form.Fixed.Select(f => $"{f.Onnx} {f.Value}"));

    private void AddNode(string name, Op op, List<NodeArg> args, string comment)
    {
        _nodes.Add(new NodeDecl(name, new NameRef(op.Name, _span), args, _span, _span));
        _comments[name] = comment;
    }

    /// <summary>The NetSpec value name an input source gives, declaring it on first use.</summary>
    private string Source(InputSource source, string output, string label)
    {
        switch (source)
        {
            case FromTensor ft:
                return Declared(ft.Tensor);
            case ZeroScalar z:
            {
                string name = Declare($"{output}_no_{z.Slot}");
                AddData(name, new TensorLiteral([], [0], _span), $"ONNX node '{label}' leaves out its optional {z.Slot}: a zero");
                return name;
            }
            case ClassIndices ci:
            {
                string key = $"{ci.Labels.OnnxName}\nindices";
                if (_oneHot.TryGetValue(key, out var existing)) return existing;
                var labels = ci.Labels.Integers!;
                string name = Declare(ci.Labels.OnnxName);
                AddData(name, new TensorLiteral(ci.Labels.Dims, [.. labels.Select(l => (double)l)], _span),
                    $"the int64 class labels '{ci.Labels.OnnxName}' as floats ({ci.Labels.Where})" + (ci.Labels.Dims.Length == 1 ? "; a vector, read as 1 x N, which the loss takes as the N labels" : ""));
                _oneHot[key] = name;
                return name;
            }
            case OneHot oh:
            {
                string key = $"{oh.Labels.OnnxName}\n{oh.Classes}";
                if (_oneHot.TryGetValue(key, out var existing)) return existing;
                var labels = oh.Labels.Integers!;
                var y = new double[labels.Length * oh.Classes];
                for (int i = 0; i < labels.Length; i++)
                {
                    if (labels[i] < 0 || labels[i] >= oh.Classes)
                        throw new OnnxImportException($"ONNX node '{label}': label {labels[i]} of sample {i} in '{oh.Labels.OnnxName}' is not a class index 0..{oh.Classes - 1}");
                    y[i * oh.Classes + labels[i]] = 1;
                }
                string name = Declare(oh.Labels.OnnxName);
                AddData(name, new TensorLiteral([labels.Length, oh.Classes], y, _span), $"one-hot rows of the int64 class labels '{oh.Labels.OnnxName}' [{string.Join(", ", labels)}] ({oh.Labels.Where})");
                _oneHot[key] = name;
                return name;
            }
            default:
                throw new ArgumentException($"unknown input source {source.GetType().Name}", nameof(source));
        }
    }

    /// <summary>The NetSpec name of a float tensor, declared as data or a parameter on first use.</summary>
    private string Declared(OnnxValue t)
    {
        if (t.NetSpec is { } done) return done;
        if (t.Dims.Contains(0))
            throw new OnnxImportException($"{t.Where} has shape {t.DimsText}, with no elements; NetSpec tensors hold at least one value");
        if (t.Dims.Length > Shape.MaxRank)
            throw new OnnxImportException($"{t.Where} has rank {t.Dims.Length}; NetSpec tensors have at most {Shape.MaxRank} axes");
        if (_elemType == 0) _elemType = t.ElemType;
        else if (_elemType != t.ElemType)
            throw new OnnxImportException($"{t.Where} is {t.TypeName} but the model's other tensors are {OnnxTensors.TypeName(_elemType)}; a spec computes in one element type");
        string name = Declare(t.OnnxName);
        var lit = new TensorLiteral(t.Dims, t.Values!, _span);
        if (t.IsGraphInput && t.Dims.Length != 1) AddData(name, lit, t.Comment!);
        else
        {
            _parameters.Add(new ParameterDecl(name, lit, null, _span));
            _comments[name] = t.IsGraphInput
                ? t.Comment + "; a vector, so a parameter: data would read it as a batch of one"
                : t.Comment!;
        }
        t.NetSpec = name;
        return name;
    }

    private void AddData(string name, TensorLiteral lit, string comment)
    {
        _data.Add(new DataDecl(name, lit, _span));
        _comments[name] = comment;
    }

    private void ConstantNode(NodeProto node, string where)
    {
        string output = node.Output[0];
        if (node.Attribute.Count != 1) throw new OnnxImportException($"{where} must have exactly one value attribute");
        var a = node.Attribute[0];
        string what = $"output '{output}' of {where}";
        string comment = $"ONNX {where}";
        switch (a.Name)
        {
            case "value" when a.T is not null:
            {
                var t = a.T.Clone();
                t.Name = output;
                AddTensor(t, what, comment, isInput: false);
                break;
            }
            case "value_float":
                _tensors[output] = new OnnxValue(output, [], OnnxTensors.Float, what) { Values = [ShortestFloat(a.F)], Comment = comment, Known = true };
                break;
            case "value_floats":
                _tensors[output] = new OnnxValue(output, [a.Floats.Count], OnnxTensors.Float, what) { Values = [.. a.Floats.Select(ShortestFloat)], Comment = comment, Known = true };
                break;
            case "value_int":
                _tensors[output] = new OnnxValue(output, [], OnnxTensors.Int64, what) { Integers = [a.I], Known = true };
                break;
            case "value_ints":
                _tensors[output] = new OnnxValue(output, [a.Ints.Count], OnnxTensors.Int64, what) { Integers = [.. a.Ints], Known = true };
                break;
            default:
                throw new OnnxImportException($"{where}: a constant given as '{a.Name}' is not supported (NetSpec reads value, value_float(s) and value_int(s))");
        }
    }

    private ArgValue Arg(AttributeValue v, AttributeType type) => type switch
    {
        AttributeType.Enum => new ArgScalar(v.Text, null, _span),
        AttributeType.IntegerList => new ArgList([.. v.Integers.Select(x => new ArgScalar(Format.Number(x), x, _span))], _span),
        _ => new ArgScalar(SpecFormatter.Number(v.Number), v.Number, _span),
    };

    private static int[] Dims(TensorProto t, string where)
    {
        if (t.Dims.Any(d => d < 0 || d > int.MaxValue)) throw new OnnxImportException($"{where} has a dimension out of range [{string.Join(", ", t.Dims)}]");
        return [.. t.Dims.Select(d => (int)d)];
    }

    /// <summary>
    /// The tensor's values; a float tensor's as the shortest decimals that give the same floats
    /// (0.5488135, not 0.54881352186203), so the spec reads as written and loads the same values.
    /// </summary>
    private static double[] Read(TensorProto t, string where)
    {
        var values = OnnxTensors.Read(t, out var error) ?? throw new OnnxImportException($"{where}: {error}");
        if (t.DataType == OnnxTensors.Float)
            for (int i = 0; i < values.Length; i++) values[i] = ShortestFloat((float)values[i]);
        return values;
    }

    /// <summary>An integer (or bool) tensor's values; int64 read exactly, not through a double.</summary>
    private static long[] ReadIntegers(TensorProto t, string where)
    {
        if (t.DataType == OnnxTensors.Int64 && t.DataLocation != TensorProto.Types.DataLocation.External)
        {
            int n = (int)Math.Min(int.MaxValue, Dims(t, where).Aggregate(1L, (a, b) => Math.Min(a * b, int.MaxValue)));
            if (!t.RawData.IsEmpty && t.RawData.Length == n * 8L)
            {
                var raw = t.RawData.Span;
                var v = new long[n];
                for (int i = 0; i < n; i++) v[i] = BitConverter.ToInt64(raw.Slice(i * 8, 8));
                return v;
            }
            if (t.RawData.IsEmpty && t.Int64Data.Count == n) return [.. t.Int64Data];
        }
        return [.. Read(t, where).Select(x => x >= long.MaxValue ? long.MaxValue : (long)x)];
    }

    private static double ShortestFloat(float f) =>
        float.IsFinite(f) ? double.Parse(f.ToString("R", System.Globalization.CultureInfo.InvariantCulture), System.Globalization.CultureInfo.InvariantCulture) : f;

    /// <summary>A valid, unused NetSpec name for an ONNX name: letters, digits and '_', not starting with a digit.</summary>
    private string Declare(string onnxName)
    {
        if (_names.TryGetValue(onnxName, out var existing)) return existing;
        var sb = new StringBuilder();
        foreach (var ch in onnxName) sb.Append(char.IsAsciiLetterOrDigit(ch) || ch == '_' ? ch : '_');
        if (sb.Length == 0 || !(char.IsAsciiLetter(sb[0]) || sb[0] == '_')) sb.Insert(0, 'v');
        string name = sb.Length > 120 ? sb.ToString(0, 120) : sb.ToString();
        string candidate = name;
        for (int k = 2; !_used.Add(candidate); k++) candidate = $"{name}_{k}";
        _names[onnxName] = candidate;
        return candidate;
    }
}
