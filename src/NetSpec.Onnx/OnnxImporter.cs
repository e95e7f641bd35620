using System.Globalization;
using System.Text;
using NetSpec.Parser.Model;
using NetSpec.Runtime;
using NetSpec.Runtime.Kernels;
using Onnx;

namespace NetSpec.Onnx;

/// <summary>
/// Turns an ONNX model made of ops NetSpec knows into spec text: initializers become parameters,
/// graph inputs data (from an ONNX test data set when given, zeros otherwise), nodes NetSpec
/// nodes, and the test data set's outputs expectations. Nothing is produced unless the whole
/// model converts and the spec it gives is valid.
/// </summary>
public static class OnnxImporter
{
    /// <summary>The ONNX ops the importer understands.</summary>
    public static readonly IReadOnlyList<string> SupportedOps = ["Gemm", "MatMul", "Add", "Sub", "Mul", "Relu", "Softmax", "Sum", "SoftmaxCrossEntropyLoss"];

    /// <summary>
    /// NetSpec's tolerance for an expected output <paramref name="expected"/> that is at least as
    /// strict as ONNX's test rule |a - e| &lt;= atol + rtol |e| (atol 1e-7, rtol 1e-3) for every
    /// element: the largest tol with tol · max(1, |e|) &lt;= atol + rtol |e| for all of them.
    /// </summary>
    public static double ToleranceFor(IEnumerable<double> expected, double rtol = 1e-3, double atol = 1e-7) =>
        expected.Select(e => (atol + rtol * Math.Abs(e)) / Math.Max(1, Math.Abs(e))).DefaultIfEmpty(atol).Min();

    /// <summary>Reads a model file (and optionally a test data folder) and returns spec text.</summary>
    public static string ImportFile(string modelPath, string? testDataDir = null)
    {
        ModelProto model;
        try
        {
            model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(modelPath));
        }
        catch (Google.Protobuf.InvalidProtocolBufferException e)
        {
            throw new OnnxImportException($"'{modelPath}' is not an ONNX model: {e.Message}");
        }
        List<TensorProto>? inputs = null, outputs = null;
        if (testDataDir is not null)
        {
            if (!Directory.Exists(testDataDir)) throw new OnnxImportException($"the test data folder '{testDataDir}' does not exist");
            inputs = ReadNumbered(testDataDir, "input");
            outputs = ReadNumbered(testDataDir, "output");
        }
        return Import(model, Path.GetFileNameWithoutExtension(modelPath), inputs, outputs);
    }

    private static List<TensorProto> ReadNumbered(string dir, string prefix)
    {
        var list = new List<TensorProto>();
        for (int j = 0; File.Exists(Path.Combine(dir, $"{prefix}_{j}.pb")); j++)
        {
            try
            {
                list.Add(TensorProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(dir, $"{prefix}_{j}.pb"))));
            }
            catch (Google.Protobuf.InvalidProtocolBufferException e)
            {
                throw new OnnxImportException($"{Path.Combine(dir, $"{prefix}_{j}.pb")} is not a serialized ONNX tensor: {e.Message}");
            }
        }
        return list;
    }

    /// <summary>Spec text for <paramref name="model"/>; test inputs and outputs, when given, are in graph order.</summary>
    public static string Import(ModelProto model, string name, IReadOnlyList<TensorProto>? testInputs = null, IReadOnlyList<TensorProto>? testOutputs = null) =>
        new Conversion(model, name, testInputs, testOutputs).Run();

    private sealed record Value(string Name, int[] OnnxDims, double[] Values, bool IsParameter, string? Comment = null);

    private sealed class Conversion(ModelProto model, string specName, IReadOnlyList<TensorProto>? testInputs, IReadOnlyList<TensorProto>? testOutputs)
    {
        private readonly GraphProto _g = model.Graph ?? throw new OnnxImportException("the model has no graph");
        private readonly Dictionary<string, string> _names = new(StringComparer.Ordinal);   // ONNX name -> NetSpec name
        private readonly HashSet<string> _used = new(StringComparer.Ordinal);
        private readonly Dictionary<string, int[]> _shapes = new(StringComparer.Ordinal);   // ONNX shapes by ONNX name
        private readonly List<Value> _data = [];
        private readonly List<Value> _parameters = [];
        private readonly List<string> _nodes = [];
        private bool _float32;

        public string Run()
        {
            var initializers = _g.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
            int elemType = 0;
            var graphInputs = _g.Input.Where(i => !initializers.ContainsKey(i.Name)).ToList();
            if (testInputs is not null && testInputs.Count != graphInputs.Count)
                throw new OnnxImportException($"the test data has {testInputs.Count} input files but the graph has {graphInputs.Count} inputs");
            if (testOutputs is not null && testOutputs.Count != _g.Output.Count)
                throw new OnnxImportException($"the test data has {testOutputs.Count} output files but the graph has {_g.Output.Count} outputs");

            foreach (var t in _g.Initializer)
            {
                var v = Read(t, $"initializer '{t.Name}'");
                if (t.DataType == OnnxTensors.Int64) { _shapes[t.Name] = Dims(t); _pendingLabels[t.Name] = v; continue; }
                elemType = elemType == 0 ? t.DataType : elemType;
                _parameters.Add(new Value(Declare(t.Name), Dims(t), v, true));
                _shapes[t.Name] = Dims(t);
            }
            for (int j = 0; j < graphInputs.Count; j++)
            {
                var input = graphInputs[j];
                var type = input.Type?.TensorType ?? throw new OnnxImportException($"graph input '{input.Name}' is not a tensor");
                int[] dims;
                double[] values;
                string? comment = null;
                if (testInputs is not null)
                {
                    values = Read(testInputs[j], $"test input {j} ('{input.Name}')");
                    dims = Dims(testInputs[j]);
                }
                else
                {
                    dims = [.. (type.Shape?.Dim ?? []).Select(d => d.HasDimValue ? (int)d.DimValue : 1)];
                    values = new double[dims.Aggregate(1, (a, b) => a * b)];
                    comment = "zeros: replace with real inputs (or import with --test-data)";
                }
                _shapes[input.Name] = dims;
                if (type.ElemType == OnnxTensors.Int64) { _pendingLabels[input.Name] = values; continue; }
                if (type.ElemType is not (OnnxTensors.Float or OnnxTensors.Double))
                    throw new OnnxImportException($"graph input '{input.Name}' has element type {OnnxTensors.TypeName(type.ElemType)}; NetSpec reads float and double");
                elemType = elemType == 0 ? type.ElemType : elemType;
                CheckRank(dims, $"graph input '{input.Name}'");
                _data.Add(new Value(Declare(input.Name), dims, values, false, comment));
            }
            _float32 = elemType != OnnxTensors.Double;

            foreach (var node in _g.Node) Convert(node);

            foreach (var label in _pendingLabels.Keys.Where(k => !_oneHot.Contains(k)))
                throw new OnnxImportException($"'{label}' holds integers, which NetSpec uses only as SoftmaxCrossEntropyLoss labels");

            var sb = new StringBuilder();
            return Write(sb);
        }

        private readonly Dictionary<string, double[]> _pendingLabels = new(StringComparer.Ordinal);
        private readonly HashSet<string> _oneHot = new(StringComparer.Ordinal);
        private string? _objective;

        private void Convert(NodeProto node)
        {
            string label = string.IsNullOrEmpty(node.Name) ? $"#{_g.Node.IndexOf(node)}" : node.Name;
            string where = $"node '{label}' ({node.OpType})";
            if (!string.IsNullOrEmpty(node.Domain) && node.Domain != "ai.onnx")
                throw new OnnxImportException($"{where} is from the op domain '{node.Domain}'; NetSpec imports standard ONNX ops only");
            if (!SupportedOps.Contains(node.OpType))
                throw new OnnxImportException($"{where}: NetSpec has no op for ONNX '{node.OpType}' (it imports {string.Join(", ", SupportedOps)})");
            foreach (var a in node.Attribute)
                if (!KnownAttributes(node.OpType).Contains(a.Name))
                    throw new OnnxImportException($"{where}: attribute '{a.Name}' is not supported");
            if (node.Output.Count < 1) throw new OnnxImportException($"{where} has no output");
            var ins = node.Input.Where(i => i.Length > 0).ToList();
            foreach (var i in ins)
                if (!_shapes.ContainsKey(i)) throw new OnnxImportException($"{where} reads '{i}', which no input, initializer or earlier node defines");
            int[] S(int k) => _shapes[ins[k]];
            string In(int k) => _names[ins[k]];
            string output = node.Output[0];
            foreach (var i in ins.Where(i => !_pendingLabels.ContainsKey(i))) CheckRank(_shapes[i], $"{where}: input '{i}'");

            switch (node.OpType)
            {
                case "Gemm":
                {
                    double alpha = F(node, "alpha", 1), beta = F(node, "beta", 1);
                    long ta = I(node, "transA", 0), tb = I(node, "transB", 0);
                    if (ins.Count is < 2 or > 3) throw new OnnxImportException($"{where} needs 2 or 3 inputs");
                    var (a, b) = (S(0), S(1));
                    if (a.Length != 2 || b.Length != 2) throw new OnnxImportException($"{where}: A and B must be matrices");
                    int m = ta == 1 ? a[1] : a[0], n = tb == 1 ? b[0] : b[1];
                    string c;
                    if (ins.Count == 3) c = In(2);
                    else
                    {
                        c = Declare(output + "_no_bias");
                        _data.Add(new Value(c, [], [0], false, "Gemm without C: a zero bias"));
                    }
                    Emit(output, "gemm", ("a", In(0)), ("b", In(1)), ("c", c),
                        ("alpha", Num(alpha)), ("beta", Num(beta)), ("trans_a", Num(ta)), ("trans_b", Num(tb)));
                    _shapes[output] = [m, n];
                    break;
                }
                case "MatMul":
                {
                    if (S(0).Length != 2 || S(1).Length != 2)
                        throw new OnnxImportException($"{where}: NetSpec's matmul multiplies two matrices; the inputs are rank {S(0).Length} and {S(1).Length}");
                    Emit(output, "matmul", ("a", In(0)), ("b", In(1)));
                    _shapes[output] = [S(0)[0], S(1)[1]];
                    break;
                }
                case "Add" or "Sub" or "Mul":
                {
                    var shape = Broadcast.Of(new Shape(S(0)), new Shape(S(1)))
                        ?? throw new OnnxImportException($"{where}: shapes [{string.Join(", ", S(0))}] and [{string.Join(", ", S(1))}] do not broadcast");
                    Emit(output, node.OpType.ToLowerInvariant(), ("a", In(0)), ("b", In(1)));
                    _shapes[output] = shape.Dims.ToArray();
                    break;
                }
                case "Relu":
                    Emit(output, "relu", ("x", In(0)));
                    _shapes[output] = S(0);
                    break;
                case "Softmax":
                {
                    long axis = I(node, "axis", -1);
                    if (S(0).Length != 2 || axis is not (-1 or 1))
                        throw new OnnxImportException($"{where}: NetSpec's softmax works along the rows of a matrix (axis -1 or 1 of rank 2); this one is axis {axis} of rank {S(0).Length}");
                    Emit(output, "softmax", ("x", In(0)));
                    _shapes[output] = S(0);
                    break;
                }
                case "Sum":
                {
                    for (int k = 1; k < ins.Count; k++)
                        if (!S(k).SequenceEqual(S(0))) throw new OnnxImportException($"{where}: NetSpec's sum adds inputs of one shape; these are broadcast");
                    _nodeLines.Add((Declare(output), $"{{op: sum, inputs: [{string.Join(", ", ins.Select(i => _names[i]))}]}}"));
                    _shapes[output] = S(0);
                    break;
                }
                case "SoftmaxCrossEntropyLoss":
                {
                    if (ins.Count != 2) throw new OnnxImportException($"{where}: class weights (a third input) are not supported");
                    if (node.Output.Count > 1 && node.Output[1].Length > 0) throw new OnnxImportException($"{where}: the log_prob output is not supported");
                    var scores = S(0);
                    if (scores.Length != 2) throw new OnnxImportException($"{where}: scores must be N x C (rank 2), not rank {scores.Length}");
                    if (!_pendingLabels.TryGetValue(ins[1], out var labels))
                        throw new OnnxImportException($"{where}: labels '{ins[1]}' must be an int64 graph input or initializer");
                    string y = OneHot(ins[1], labels, scores[0], scores[1], where);
                    string reduction = Str(node, "reduction", "mean");
                    switch (reduction)
                    {
                        case "mean":
                            Emit(output, "softmax_cross_entropy", ("x", In(0)), ("y", y));
                            _shapes[output] = [];
                            _objective = _names[output];
                            break;
                        case "sum":
                        {
                            string rows = Declare(output + "_rows");
                            _nodeLines.Add((rows, $"{{op: softmax_cross_entropy_rows, x: {In(0)}, y: {y}}}"));
                            Emit(output, "reduce_sum", ("x", rows));
                            _shapes[output] = [];
                            _objective = _names[output];
                            break;
                        }
                        case "none":
                            Emit(output, "softmax_cross_entropy_rows", ("x", In(0)), ("y", y));
                            _shapes[output] = [scores[0]];
                            break;
                        default:
                            throw new OnnxImportException($"{where}: reduction '{reduction}' is not mean, sum or none");
                    }
                    break;
                }
            }
        }

        private string OneHot(string onnxName, double[] labels, int n, int classes, string where)
        {
            if (labels.Length != n) throw new OnnxImportException($"{where}: {labels.Length} labels for {n} samples");
            var y = new double[n * classes];
            for (int i = 0; i < n; i++)
            {
                if (labels[i] < 0 || labels[i] >= classes || labels[i] != Math.Floor(labels[i]))
                    throw new OnnxImportException($"{where}: label {labels[i]} of sample {i} is not a class index 0..{classes - 1}");
                y[i * classes + (int)labels[i]] = 1;
            }
            _oneHot.Add(onnxName);
            string name = Declare(onnxName);
            _data.Add(new Value(name, [n, classes], y, false, $"one-hot of the int64 labels [{string.Join(", ", labels.Select(Num))}]"));
            return name;
        }

        private readonly List<(string Name, string Body)> _nodeLines = [];

        private void Emit(string onnxOutput, string op, params (string Key, string Value)[] args) =>
            _nodeLines.Add((Declare(onnxOutput), $"{{op: {op}, {string.Join(", ", args.Select(a => $"{a.Key}: {a.Value}"))}}}"));

        private static string[] KnownAttributes(string op) => op switch
        {
            "Gemm" => ["alpha", "beta", "transA", "transB"],
            "Softmax" => ["axis"],
            "SoftmaxCrossEntropyLoss" => ["reduction"],
            _ => [],
        };

        private static double F(NodeProto n, string name, double fallback) => n.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? a.F : fallback;
        private static long I(NodeProto n, string name, long fallback) => n.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? a.I : fallback;
        private static string Str(NodeProto n, string name, string fallback) => n.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? a.S.ToStringUtf8() : fallback;

        private static int[] Dims(TensorProto t) => [.. t.Dims.Select(d => (int)d)];

        private static double[] Read(TensorProto t, string what) =>
            OnnxTensors.Read(t, out var error) ?? throw new OnnxImportException($"{what}: {error}");

        private static void CheckRank(int[] dims, string what)
        {
            if (dims.Length > 2)
                throw new OnnxImportException($"{what} has rank {dims.Length} ([{string.Join(", ", dims)}]); NetSpec tensors have at most 2 dimensions");
        }

        /// <summary>A valid, unused NetSpec name for an ONNX name: letters, digits and '_', not starting with a digit.</summary>
        private string Declare(string onnxName)
        {
            if (_names.TryGetValue(onnxName, out var existing)) return existing;
            var sb = new StringBuilder();
            foreach (var ch in onnxName) sb.Append(char.IsLetterOrDigit(ch) || ch == '_' ? ch : '_');
            if (sb.Length == 0 || !(char.IsLetter(sb[0]) || sb[0] == '_')) sb.Insert(0, 'v');
            string name = sb.Length > 120 ? sb.ToString(0, 120) : sb.ToString();
            string candidate = name;
            for (int k = 2; !_used.Add(candidate); k++) candidate = $"{name}_{k}";
            _names[onnxName] = candidate;
            return candidate;
        }

        private string Write(StringBuilder sb)
        {
            string opset = string.Join(", ", model.OpsetImport.Select(o => $"{(o.Domain.Length == 0 ? "ai.onnx" : o.Domain)} {o.Version}"));
            sb.Append("# Imported from an ONNX model by 'netspec import'.\n");
            sb.Append("netspec: 1\n");
            sb.Append($"name: {Quote(_g.Name.Length > 0 ? _g.Name : specName)}\n");
            sb.Append($"description: {Quote($"ONNX model '{(_g.Name.Length > 0 ? _g.Name : specName)}'" + (model.ProducerName.Length > 0 ? $" by {model.ProducerName} {model.ProducerVersion}".TrimEnd() : "") + $", opset {opset}")}\n");
            sb.Append($"dtype: {(_float32 ? "float32" : "float64")}\n");
            sb.Append("network:\n");
            foreach (var (name, body) in _nodeLines) sb.Append($"  {name}: {body}\n");
            if (_data.Count > 0)
            {
                sb.Append("data:\n");
                foreach (var d in _data) WriteTensor(sb, d.Name, DataDims(d.OnnxDims), d.Values, d.Comment);
            }
            if (_parameters.Count > 0)
            {
                sb.Append("parameters:\n");
                foreach (var p in _parameters) WriteTensor(sb, p.Name, p.OnnxDims, p.Values, p.Comment);
            }
            if (_objective is not null) sb.Append($"backward:\n  from: {_objective}\n");
            if (testOutputs is not null)
            {
                sb.Append("# ONNX compares with rtol 1e-3, atol 1e-7: |a - e| <= 1e-7 + 1e-3 |e|. NetSpec's rule is\n");
                sb.Append("# |a - e| <= tol max(1, |e|); each tolerance below is the largest that is at least as strict\n");
                sb.Append("# as ONNX's for every element of its value.\n");
                sb.Append("expect:\n  forward:\n");
                for (int j = 0; j < _g.Output.Count; j++)
                {
                    var o = _g.Output[j];
                    if (!_names.TryGetValue(o.Name, out var name)) throw new OnnxImportException($"graph output '{o.Name}' is not computed by any node");
                    var values = Read(testOutputs[j], $"test output {j} ('{o.Name}')");
                    var dims = Dims(testOutputs[j]);
                    CheckRank(dims, $"test output {j} ('{o.Name}')");
                    sb.Append($"    {name}: {{value: {Literal(dims, values)}, tolerance: {Num(ToleranceFor(values))}}}\n");
                }
            }
            return sb.ToString();
        }

        /// <summary>NetSpec data is rows of samples; a vector stays a vector (a batch of one), a scalar a scalar.</summary>
        private static int[] DataDims(int[] dims) => dims;

        private static void WriteTensor(StringBuilder sb, string name, int[] dims, double[] values, string? comment) =>
            sb.Append($"  {name}: {Literal(dims, values)}{(comment is null ? "" : $"   # {comment}")}\n");

        private static string Literal(int[] dims, double[] values) => dims.Length switch
        {
            0 => Num(values[0]),
            1 => "[" + string.Join(", ", values.Select(Num)) + "]",
            _ => "[" + string.Join(", ", Enumerable.Range(0, dims[0]).Select(r => "[" + string.Join(", ", values.Skip(r * dims[1]).Take(dims[1]).Select(Num)) + "]")) + "]",
        };

        private static string Num(double x) => x.ToString("R", CultureInfo.InvariantCulture).Replace("E", "e", StringComparison.Ordinal);
        private static string Num(long x) => x.ToString(CultureInfo.InvariantCulture);

        private static string Quote(string s) => "'" + s.Replace("'", "''", StringComparison.Ordinal) + "'";
    }
}
