using NetSpec.Parser.Diagnostics;
using NetSpec.Parser.Model;
using NetSpec.Parser.Yaml;
using YamlDotNet.RepresentationModel;

namespace NetSpec.Parser;

/// <summary>
/// Turns a spec file into a <see cref="SpecDocument"/> and diagnostics. It reports every
/// independent mistake it finds in one pass; it only reads, it never computes.
/// </summary>
public sealed partial class SpecParser
{
    /// <summary>The keys a spec may have at its top level, in the order the docs present them.</summary>
    public static readonly string[] TopLevelKeys =
        ["netspec", "name", "description", "source", "dtype", "hyperparameters", "data", "parameters",
         "network", "backward", "optimizer", "expect", "dataset", "training", "parameters_file"];

    public static readonly string[] InitializerKinds =
        ["zeros", "ones", "constant", "uniform", "normal", "xavier_uniform", "he_normal"];

    public static readonly string[] OptimizerTypes = ["sgd", "adam"];

    public static readonly string[] InitializerKeys = ["init", "shape", "seed", "value", "low", "high", "mean", "std"];
    public static readonly string[] BackwardKeys = ["from", "grad"];
    public static readonly string[] OptimizerKeys = ["type", "learning_rate", "steps", "momentum", "nesterov", "beta1", "beta2", "epsilon", "schedule"];
    public static readonly string[] ExpectKeys = ["tolerance", "forward", "gradients", "updated", "metrics"];
    public static readonly string[] CheckKeys = ["value", "tolerance", "step"];

    private readonly string _path;
    private readonly ParserLimits _limits;
    private readonly DiagnosticBag _d;
    private readonly Dictionary<string, Hyperparameter> _hyper = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SourceSpan> _names = new(StringComparer.Ordinal);
    private readonly HashSet<string> _invalid = new(StringComparer.Ordinal);
    private readonly Dictionary<YamlMappingNode, HashSet<string>> _misspelled = new(ReferenceEqualityComparer.Instance);
    private long _elements;

    private readonly SourceText? _source;

    private SpecParser(string path, ParserLimits limits, DiagnosticBag diagnostics, SourceText? source = null)
    {
        _source = source;
        _path = path;
        _limits = limits;
        _d = diagnostics;
    }

    /// <summary>The result of parsing: the document (null when the file could not be read as a spec) and its source.</summary>
    public sealed record Result(SpecDocument? Document, SourceText? Source);

    /// <summary>Reads and parses a spec file.</summary>
    public static Result ParseFile(string path, DiagnosticBag diagnostics, ParserLimits? limits = null)
    {
        limits ??= ParserLimits.Default;
        var loaded = YamlLoader.LoadFile(path, limits, diagnostics);
        if (loaded.Root is null) return new(null, loaded.Source);
        return new(new SpecParser(path, limits, diagnostics, loaded.Source).ParseRoot(loaded.Root), loaded.Source);
    }

    /// <summary>Parses spec text (for tests and tools); <paramref name="path"/> names it in diagnostics.</summary>
    public static Result ParseText(string path, string text, DiagnosticBag diagnostics, ParserLimits? limits = null)
    {
        limits ??= ParserLimits.Default;
        var loaded = YamlLoader.LoadText(path, text, limits, diagnostics);
        if (loaded.Root is null) return new(null, loaded.Source);
        return new(new SpecParser(path, limits, diagnostics, loaded.Source).ParseRoot(loaded.Root), loaded.Source);
    }

    private SourceSpan Span(YamlNode node)
    {
        var span = YamlNodes.Span(_path, node);
        if (_source is null || span.Line <= _source.LineCount) return span;
        // An empty value at the very end of a text without a final line break is placed a line past it.
        int line = _source.LineCount, col = _source.Line(line)!.Length + 1;
        return new SourceSpan(_path, line, col, line, col);
    }

    private SpecDocument? ParseRoot(YamlNode root)
    {
        if (root is YamlScalarNode rs && YamlNodes.IsNull(rs))
        {
            _d.Error(Codes.FileEmpty, new SourceSpan(_path, 1, 1, 1, 1), "the spec file has no content");
            return null;
        }
        if (root is not YamlMappingNode map)
        {
            _d.Error(Codes.WrongType, Span(root), $"a spec is a mapping of sections (network:, data:, ...), not {YamlNodes.Describe(root)}");
            return null;
        }
        var entries = Sections(map, TopLevelKeys, "spec");

        int version = 1;
        if (entries.TryGetValue("netspec", out var v))
        {
            if (v.Value is YamlScalarNode vs && YamlNodes.TryNumber(vs, out var num) && num == 1) version = 1;
            else _d.Error(Codes.UnsupportedVersion, Span(v.Value), $"unsupported format version {YamlNodes.Describe(v.Value)}; this NetSpec reads 'netspec: 1'");
        }
        string name = entries.TryGetValue("name", out var n) ? Text(n.Value, "name") ?? "" : System.IO.Path.GetFileNameWithoutExtension(_path);
        string? description = entries.TryGetValue("description", out var de) ? Text(de.Value, "description") : null;
        string? source = entries.TryGetValue("source", out var so) ? Text(so.Value, "source") : null;
        var dtype = DType.Float64;
        if (entries.TryGetValue("dtype", out var dt) && Text(dt.Value, "dtype") is { } dts)
        {
            if (dts == "float64") dtype = DType.Float64;
            else if (dts == "float32") dtype = DType.Float32;
            else _d.Error(Codes.InvalidValue, Span(dt.Value), $"unknown dtype '{YamlNodes.Clip(dts)}'{Suggest.DidYouMean(dts, ["float64", "float32"])} (known: float64, float32)");
        }

        var hyper = entries.TryGetValue("hyperparameters", out var hy) ? ParseHyperparameters(hy.Value) : [];
        var dataset = entries.TryGetValue("dataset", out var ds) ? ParseDataset(ds.Value) : null;
        if (ds.Value is not null && dataset is null)
            _invalid.Add(SpecDocument.AnyName); // the dataset's inputs and targets are unknown: do not report references to them
        foreach (var section in new[] { "data", "parameters" })
            if (entries.TryGetValue(section, out var sv) && sv.Value is not YamlMappingNode)
                _invalid.Add(SpecDocument.AnyName); // its names are unknown: do not report references to them
        var data = entries.TryGetValue("data", out var da) ? ParseData(da.Value) : [];
        var parameters = entries.TryGetValue("parameters", out var pa) ? ParseParameters(pa.Value) : [];
        List<NodeDecl> network = [];
        if (entries.TryGetValue("network", out var ne)) network = ParseNetwork(ne.Value);
        else if (!Misspelled(map, "network")) _d.Error(Codes.MissingField, new SourceSpan(_path, 1, 1, 1, 1), "the spec has no 'network' section: it needs at least one node");
        var backward = entries.TryGetValue("backward", out var bw) ? ParseBackward(bw.Value) : null;
        var optimizer = entries.TryGetValue("optimizer", out var op) ? ParseOptimizer(op.Value) : null;
        double tolerance = 1e-9;
        List<Expectation> expectations = [];
        if (entries.TryGetValue("expect", out var ex)) (tolerance, expectations) = ParseExpect(ex.Value);
        var training = entries.TryGetValue("training", out var tr) ? ParseTraining(tr.Value) : null;
        var parametersFile = entries.TryGetValue("parameters_file", out var pf) ? ParsePath(pf.Value, "parameters_file") : null;
        var metrics = entries.TryGetValue("expect", out var exm) ? ParseMetricExpectations(exm.Value) : [];

        return new SpecDocument(_path, version, name, description, source, dtype, hyper, data, parameters, network,
            backward, optimizer, tolerance, expectations)
        {
            Dataset = dataset,
            Training = training,
            ParametersFile = parametersFile,
            MetricExpectations = metrics,
            InvalidNames = _invalid,
        };
    }

    /// <summary>Entries of a mapping whose keys must come from <paramref name="allowed"/>.</summary>
    private Dictionary<string, (YamlScalarNode Key, YamlNode Value)> Sections(YamlMappingNode map, string[] allowed, string where)
    {
        var result = new Dictionary<string, (YamlScalarNode, YamlNode)>(StringComparer.Ordinal);
        foreach (var (key, keyNode, value) in YamlNodes.Entries(_path, map, _d))
        {
            if (Array.IndexOf(allowed, key) < 0)
            {
                _d.Error(Codes.UnknownKey, Span(keyNode),
                    $"unknown key '{YamlNodes.Clip(key)}' in {where}{Suggest.DidYouMean(key, allowed)}");
                if (Suggest.Closest(key, allowed) is { } meant)
                {
                    if (!_misspelled.TryGetValue(map, out var set)) _misspelled[map] = set = new(StringComparer.Ordinal);
                    set.Add(meant);
                }
                continue;
            }
            result[key] = (keyNode, value);
        }
        return result;
    }

    /// <summary>Whether an unknown key of <paramref name="map"/> was already reported as a misspelling of <paramref name="key"/>.</summary>
    private bool Misspelled(YamlMappingNode map, string key) =>
        _misspelled.TryGetValue(map, out var set) && set.Contains(key);

    private string? Text(YamlNode node, string what)
    {
        if (node is YamlScalarNode s && !YamlNodes.IsNull(s)) return s.Value;
        _d.Error(Codes.WrongType, Span(node), $"'{what}' must be text, not {YamlNodes.Describe(node)}");
        return null;
    }

    private YamlMappingNode? Mapping(YamlNode node, string what)
    {
        if (node is YamlMappingNode m) return m;
        _d.Error(Codes.WrongType, Span(node), $"{what} must be a mapping, not {YamlNodes.Describe(node)}");
        return null;
    }

    private bool DeclareName(string name, YamlScalarNode keyNode, string kind)
    {
        var span = Span(keyNode);
        if (!IsValidName(name))
        {
            _d.Error(Codes.InvalidName, span, $"'{YamlNodes.Clip(name)}' is not a valid {kind} name: use letters, digits and '_', starting with a letter or '_'");
            return false;
        }
        if (_names.TryGetValue(name, out var first))
        {
            _d.Error(Codes.DuplicateName, span, $"the name '{name}' is already used at line {first.Line}; data, parameters and nodes share one namespace");
            return false;
        }
        _names[name] = span;
        return true;
    }

    internal static bool IsValidName(string name)
    {
        if (name.Length == 0 || name.Length > 128) return false;
        if (!(char.IsLetter(name[0]) || name[0] == '_')) return false;
        foreach (var ch in name)
            if (!(char.IsLetterOrDigit(ch) || ch == '_')) return false;
        return true;
    }

    private List<Hyperparameter> ParseHyperparameters(YamlNode node)
    {
        var list = new List<Hyperparameter>();
        if (Mapping(node, "'hyperparameters'") is not { } map) return list;
        foreach (var (key, keyNode, value) in YamlNodes.Entries(_path, map, _d))
        {
            if (!IsValidName(key))
            {
                _d.Error(Codes.InvalidName, Span(keyNode), $"'{YamlNodes.Clip(key)}' is not a valid hyperparameter name");
                _invalid.Add(key);
                continue;
            }
            if (value is YamlScalarNode s && YamlNodes.TryNumber(s, out var x))
            {
                var h = new Hyperparameter(key, x, Span(keyNode));
                _hyper[key] = h;
                list.Add(h);
            }
            else
            {
                _d.Error(Codes.NotANumber, Span(value), $"hyperparameter '{key}' must be a number, not {YamlNodes.Describe(value)}");
                _invalid.Add(key);
            }
        }
        return list;
    }

    /// <summary>A number written literally or as a hyperparameter name.</summary>
    internal NumberValue? Number(YamlNode node, string what)
    {
        if (node is YamlScalarNode s)
        {
            if (YamlNodes.TryNumber(s, out var x)) return new NumberValue(x, null, Span(s));
            if (s.Style == YamlDotNet.Core.ScalarStyle.Plain && s.Value is { Length: > 0 } name && IsValidName(name))
            {
                if (_hyper.TryGetValue(name, out var h)) return new NumberValue(h.Value, name, Span(s));
                if (_invalid.Contains(name)) return null; // its definition is already reported
                _d.Error(Codes.UnknownHyperparameter, Span(s),
                    $"{what} names '{name}', which is not a hyperparameter{Suggest.DidYouMean(name, _hyper.Keys)}");
                return null;
            }
        }
        _d.Error(Codes.NotANumber, Span(node), $"{what} must be a number or a hyperparameter name, not {YamlNodes.Describe(node)}");
        return null;
    }

    private List<DataDecl> ParseData(YamlNode node)
    {
        var list = new List<DataDecl>();
        if (Mapping(node, "'data'") is not { } map) return list;
        foreach (var (key, keyNode, value) in YamlNodes.Entries(_path, map, _d))
        {
            bool ok = DeclareName(key, keyNode, "data");
            var t = Tensor(value, $"data '{key}'");
            if (ok && t is not null) list.Add(new DataDecl(key, t, Span(keyNode)));
            else if (!_names.ContainsKey(key) || t is null) _invalid.Add(key);
        }
        return list;
    }

    private List<ParameterDecl> ParseParameters(YamlNode node)
    {
        var list = new List<ParameterDecl>();
        if (Mapping(node, "'parameters'") is not { } map) return list;
        foreach (var (key, keyNode, value) in YamlNodes.Entries(_path, map, _d))
        {
            bool ok = DeclareName(key, keyNode, "parameter");
            if (value is YamlMappingNode init)
            {
                var decl = Initializer(init, key);
                if (ok && decl is not null) list.Add(new ParameterDecl(key, null, decl, Span(keyNode)));
                else if (!_names.ContainsKey(key) || decl is null) _invalid.Add(key);
            }
            else
            {
                var t = Tensor(value, $"parameter '{key}'");
                if (ok && t is not null) list.Add(new ParameterDecl(key, t, null, Span(keyNode)));
                else if (!_names.ContainsKey(key) || t is null) _invalid.Add(key);
            }
        }
        return list;
    }

    private InitializerDecl? Initializer(YamlMappingNode map, string param)
    {
        var e = Sections(map, InitializerKeys, $"the initializer of '{param}'");
        bool ok = true;
        NameRef? kind = null;
        if (!e.TryGetValue("init", out var k))
        {
            if (!Misspelled(map, "init"))
                _d.Error(Codes.MissingField, Span(map), $"the initializer of '{param}' needs 'init:' ({string.Join(", ", InitializerKinds)})");
            ok = false;
        }
        else if (Text(k.Value, "init") is { } ks)
        {
            if (Array.IndexOf(InitializerKinds, ks) < 0)
            {
                _d.Error(Codes.InvalidValue, Span(k.Value), $"unknown initializer '{ks}'{Suggest.DidYouMean(ks, InitializerKinds)} (known: {string.Join(", ", InitializerKinds)})");
                ok = false;
            }
            else kind = new NameRef(ks, Span(k.Value));
        }
        int[]? shape = null;
        if (!e.TryGetValue("shape", out var sh))
        {
            if (!Misspelled(map, "shape"))
                _d.Error(Codes.MissingField, Span(map), $"the initializer of '{param}' needs 'shape:', e.g. [out, in]");
            ok = false;
        }
        else
        {
            shape = ShapeList(sh.Value, param);
            ok &= shape is not null;
        }
        ulong seed = 0;
        if (e.TryGetValue("seed", out var se))
        {
            if (se.Value is YamlScalarNode ss && ulong.TryParse(ss.Value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var sv)) seed = sv;
            else
            {
                _d.Error(Codes.InvalidValue, Span(se.Value), $"a seed is a non-negative integer, not {YamlNodes.Describe(se.Value)}");
                ok = false;
            }
        }
        var options = new Dictionary<string, NumberValue>(StringComparer.Ordinal);
        foreach (var (key, entry) in e)
        {
            if (key is "init" or "shape" or "seed") continue;
            if (Number(entry.Value, $"'{key}' of the initializer of '{param}'") is { } nv) options[key] = nv;
            else ok = false;
        }
        // Each dimension is at most int.MaxValue, so the product of two fits a long.
        if (shape is not null && !CountElements(shape.Aggregate(1L, (a, b) => a * b), Span(map))) ok = false;
        return ok && kind is not null && shape is not null ? new InitializerDecl(kind, shape, seed, options, Span(map)) : null;
    }

    private int[]? ShapeList(YamlNode node, string param)
    {
        if (node is YamlSequenceNode seq && seq.Children.Count is >= 1 and <= 2)
        {
            var dims = new int[seq.Children.Count];
            for (int i = 0; i < dims.Length; i++)
            {
                if (seq.Children[i] is YamlScalarNode s && int.TryParse(s.Value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var d) && d >= 1)
                    dims[i] = d;
                else
                {
                    _d.Error(Codes.InvalidValue, Span(seq.Children[i]), $"a dimension of '{param}' must be a positive integer, not {YamlNodes.Describe(seq.Children[i])}");
                    return null;
                }
            }
            return dims;
        }
        _d.Error(Codes.InvalidValue, Span(node), $"the shape of '{param}' is a list of one or two positive integers, e.g. [3, 2]");
        return null;
    }

    /// <summary>Adds to the spec's element count; false (reported once) when it passes the limit.</summary>
    private bool CountElements(long n, SourceSpan at)
    {
        long before = _elements;
        _elements += n;
        if (before <= _limits.MaxElements && _elements > _limits.MaxElements)
            _d.Error(Codes.TooManyElements, at,
                $"the spec declares more than {_limits.MaxElements} tensor elements (--max-elements raises the limit)");
        return _elements <= _limits.MaxElements;
    }

    /// <summary>The most axes a tensor literal has (the runtime's <c>Shape.MaxRank</c>).</summary>
    public const int MaxTensorRank = 8;

    /// <summary>
    /// A tensor literal: a number, a list of numbers, a list of equal-length rows, or lists nested
    /// deeper (rank 3 up to <see cref="MaxTensorRank"/>), each level's lists of one shape.
    /// </summary>
    internal TensorLiteral? Tensor(YamlNode node, string what)
    {
        switch (node)
        {
            case YamlScalarNode s:
                if (YamlNodes.TryNumber(s, out var x))
                {
                    CountElements(1, Span(s));
                    return new TensorLiteral([], [x], Span(s));
                }
                _d.Error(Codes.NotANumber, Span(s), $"{what} must be a number, a list or a list of rows, not {YamlNodes.Describe(s)}");
                return null;
            case YamlSequenceNode seq when seq.Children.Count == 0:
                _d.Error(Codes.InvalidValue, Span(seq), $"{what} is empty: a tensor needs at least one value");
                return null;
            case YamlSequenceNode seq:
            {
                // The shape is read along the first elements; every other element must match it.
                var dims = new List<int>();
                YamlNode first = seq;
                while (first is YamlSequenceNode fs)
                {
                    if (dims.Count == MaxTensorRank)
                    {
                        _d.Error(Codes.TensorRank, Span(fs), $"{what} nests lists more than {MaxTensorRank} deep: tensors have at most {MaxTensorRank} axes");
                        return null;
                    }
                    dims.Add(fs.Children.Count);
                    if (fs.Children.Count == 0)
                    {
                        _d.Error(Codes.InvalidValue, Span(seq), $"{what} has empty rows");
                        return null;
                    }
                    first = fs.Children[0];
                }
                var values = new List<double>();
                bool ok = Elements(seq, [.. dims], 0, what, values);
                CountElements(values.Count, Span(seq));
                return ok ? new TensorLiteral([.. dims], [.. values], Span(seq)) : null;
            }
            default:
                _d.Error(Codes.WrongType, Span(node), $"{what} must be a number, a list or a list of rows, not {YamlNodes.Describe(node)}" +
                    (node is YamlMappingNode && what.StartsWith("data ", StringComparison.Ordinal) ? " (initializers are for parameters only)" : ""));
                return null;
        }
    }

    /// <summary>Reads the elements of <paramref name="seq"/>, a list at <paramref name="axis"/> of a tensor of <paramref name="dims"/>, row-major.</summary>
    private bool Elements(YamlSequenceNode seq, int[] dims, int axis, string what, List<double> values)
    {
        bool ok = true;
        bool innermost = axis == dims.Length - 1;
        for (int r = 0; r < seq.Children.Count; r++)
        {
            var cell = seq.Children[r];
            if (innermost)
            {
                if (cell is YamlScalarNode cs && YamlNodes.TryNumber(cs, out var cv)) values.Add(cv);
                else if (cell is YamlSequenceNode)
                {
                    _d.Error(dims.Length == 1 ? Codes.RaggedMatrix : Codes.TensorRank, Span(cell), dims.Length == 1
                        ? $"{what} mixes numbers and rows: write every row as a list"
                        : $"{what} nests lists deeper here than along its first elements: every part of a tensor has one shape");
                    ok = false;
                }
                else
                {
                    _d.Error(Codes.NotANumber, Span(cell), $"{what} has a value that is not a number: {YamlNodes.Describe(cell)}");
                    ok = false;
                }
                continue;
            }
            if (cell is not YamlSequenceNode row)
            {
                _d.Error(Codes.RaggedMatrix, Span(cell), $"row {r + 1} of {what} is not a list: every row of a matrix is a list");
                ok = false;
                continue;
            }
            if (row.Children.Count != dims[axis + 1])
            {
                _d.Error(Codes.RaggedMatrix, Span(row), axis + 1 == dims.Length - 1
                    ? $"row {r + 1} of {what} has {row.Children.Count} values but row 1 has {dims[axis + 1]}"
                    : $"a list of {what} has {row.Children.Count} elements where the first has {dims[axis + 1]}: every part of a tensor has one shape");
                ok = false;
                continue;
            }
            ok &= Elements(row, dims, axis + 1, what, values);
        }
        return ok;
    }

    private List<NodeDecl> ParseNetwork(YamlNode node)
    {
        var list = new List<NodeDecl>();
        if (Mapping(node, "'network'") is not { } map) return list;
        if (map.Children.Count == 0)
            _d.Error(Codes.MissingField, Span(map), "the network has no nodes");
        foreach (var (key, keyNode, value) in YamlNodes.Entries(_path, map, _d))
        {
            bool ok = DeclareName(key, keyNode, "node");
            if (value is not YamlMappingNode body)
            {
                _d.Error(Codes.WrongType, Span(value), $"node '{key}' must be a mapping like {{op: relu, x: z}}, not {YamlNodes.Describe(value)}");
                if (ok || !_names.ContainsKey(key)) _invalid.Add(key);
                continue;
            }
            NameRef? op = null;
            var args = new List<NodeArg>();
            bool argsOk = true;
            foreach (var (argKey, argKeyNode, argValue) in YamlNodes.Entries(_path, body, _d))
            {
                if (argKey == "op")
                {
                    if (argValue is YamlScalarNode os && !YamlNodes.IsNull(os) && os.Value is { } opName) op = new NameRef(opName, Span(os));
                    else _d.Error(Codes.WrongType, Span(argValue), $"'op' of node '{key}' must be an op name, not {YamlNodes.Describe(argValue)}");
                    continue;
                }
                var arg = Arg(argValue, key, argKey);
                if (arg is not null) args.Add(new NodeArg(argKey, arg, Span(argKeyNode)));
                else argsOk = false;
            }
            if (op is null && !body.Children.Any(c => c.Key is YamlScalarNode { Value: "op" }))
                _d.Error(Codes.MissingField, Span(keyNode), $"node '{key}' has no 'op'");
            if (ok && op is not null && argsOk) list.Add(new NodeDecl(key, op, args, Span(keyNode), Span(value)));
            else if (!_names.ContainsKey(key) || op is null || !argsOk) _invalid.Add(key);
        }
        return list;
    }

    private ArgValue? Arg(YamlNode node, string nodeName, string key)
    {
        switch (node)
        {
            case YamlScalarNode s when !YamlNodes.IsNull(s):
                return new ArgScalar(s.Value ?? "", YamlNodes.TryNumber(s, out var x) ? x : null, Span(s));
            case YamlSequenceNode seq:
            {
                var items = new List<ArgScalar>();
                foreach (var c in seq.Children)
                {
                    if (c is YamlScalarNode cs && !YamlNodes.IsNull(cs))
                        items.Add(new ArgScalar(cs.Value ?? "", YamlNodes.TryNumber(cs, out var cx) ? cx : null, Span(cs)));
                    else
                    {
                        _d.Error(Codes.WrongType, Span(c), $"'{key}' of node '{nodeName}' lists names, not {YamlNodes.Describe(c)}");
                        return null;
                    }
                }
                return new ArgList(items, Span(seq));
            }
            default:
                _d.Error(Codes.WrongType, Span(node), $"'{key}' of node '{nodeName}' must be a name, a number or a list of names, not {YamlNodes.Describe(node)}");
                return null;
        }
    }

    private BackwardDecl? ParseBackward(YamlNode node)
    {
        if (Mapping(node, "'backward'") is not { } map) return null;
        var e = Sections(map, BackwardKeys, "'backward'");
        NameRef? from = null;
        if (!e.TryGetValue("from", out var f))
        {
            if (!Misspelled(map, "from")) _d.Error(Codes.MissingField, Span(map), "'backward' needs 'from:', the objective node (or the node whose gradient 'grad' assumes)");
        }
        else if (Text(f.Value, "from") is { } name) from = new NameRef(name, Span(f.Value));
        TensorLiteral? grad = null;
        if (e.TryGetValue("grad", out var g)) grad = Tensor(g.Value, "the assumed gradient 'grad'");
        return from is null ? null : new BackwardDecl(from, grad, Span(map));
    }

    private OptimizerDecl? ParseOptimizer(YamlNode node)
    {
        if (Mapping(node, "'optimizer'") is not { } map) return null;
        var e = Sections(map, OptimizerKeys, "'optimizer'");
        NameRef? type = null;
        if (!e.TryGetValue("type", out var t))
        {
            if (!Misspelled(map, "type")) _d.Error(Codes.MissingField, Span(map), $"'optimizer' needs 'type:' ({string.Join(", ", OptimizerTypes)})");
        }
        else if (Text(t.Value, "type") is { } ts)
        {
            if (Array.IndexOf(OptimizerTypes, ts) < 0)
                _d.Error(Codes.InvalidValue, Span(t.Value), $"unknown optimizer '{ts}'{Suggest.DidYouMean(ts, OptimizerTypes)} (known: {string.Join(", ", OptimizerTypes)})");
            else type = new NameRef(ts, Span(t.Value));
        }
        NumberValue? lr = null;
        if (!e.TryGetValue("learning_rate", out var l))
        {
            if (!Misspelled(map, "learning_rate")) _d.Error(Codes.MissingField, Span(map), "'optimizer' needs 'learning_rate:'");
        }
        else if ((lr = Number(l.Value, "the learning rate")) is { } lrv && !(lrv.Value >= 0 && double.IsFinite(lrv.Value)))
        {
            _d.Error(Codes.NegativeRate, lrv.Span, $"the learning rate must be a finite number >= 0, not {lrv}");
            lr = null;
        }
        NumberValue steps = new(1, null, Span(map));
        if (e.TryGetValue("steps", out var s) && Number(s.Value, "steps") is { } sv)
        {
            if (sv.Value >= 1 && sv.Value <= 1_000_000_000 && Math.Floor(sv.Value) == sv.Value) steps = sv;
            else
            {
                _d.Error(Codes.BadSteps, sv.Span, $"steps must be a whole number >= 1, not {sv}");
                return null;
            }
        }
        var settings = ParseOptimizerSettings(e, type?.Name);
        return type is null || lr is null || settings is null ? null
            : new OptimizerDecl(type, lr, steps, Span(map)) { Settings = settings, StepsWritten = e.ContainsKey("steps") };
    }

    private (double Tolerance, List<Expectation> Checks) ParseExpect(YamlNode node)
    {
        var checks = new List<Expectation>();
        double tol = 1e-9;
        if (Mapping(node, "'expect'") is not { } map) return (tol, checks);
        var e = Sections(map, ExpectKeys, "'expect'");
        if (e.TryGetValue("tolerance", out var t)) tol = Tolerance(t.Value) ?? tol;
        foreach (var (key, kind) in new[] { ("forward", ExpectKind.Forward), ("gradients", ExpectKind.Gradient), ("updated", ExpectKind.Updated) })
        {
            if (!e.TryGetValue(key, out var section)) continue;
            if (Mapping(section.Value, $"'expect: {key}'") is not { } sm) continue;
            foreach (var (name, nameNode, value) in YamlNodes.Entries(_path, sm, _d))
            {
                double checkTol = tol;
                int step = 1;
                YamlNode valueNode = value;
                if (value is YamlMappingNode opts)
                {
                    var o = Sections(opts, CheckKeys, $"the expectation of '{name}'");
                    if (!o.TryGetValue("value", out var vv))
                    {
                        if (!Misspelled(opts, "value")) _d.Error(Codes.MissingField, Span(opts), $"the expectation of '{name}' needs 'value:'");
                        continue;
                    }
                    valueNode = vv.Value;
                    if (o.TryGetValue("tolerance", out var ct)) checkTol = Tolerance(ct.Value) ?? checkTol;
                    if (o.TryGetValue("step", out var st))
                    {
                        if (st.Value is YamlScalarNode sts && int.TryParse(sts.Value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var sn) && sn >= 1) step = sn;
                        else _d.Error(Codes.BadSteps, Span(st.Value), $"'step' is a whole number >= 1, not {YamlNodes.Describe(st.Value)}");
                    }
                }
                var tensor = Tensor(valueNode, $"the expected value of '{name}'");
                if (tensor is not null)
                    checks.Add(new Expectation(kind, new NameRef(name, Span(nameNode)), tensor, checkTol, step));
            }
        }
        return (tol, checks);
    }

    private double? Tolerance(YamlNode node)
    {
        if (Number(node, "a tolerance") is not { } v) return null;
        if (v.Value >= 0 && double.IsFinite(v.Value)) return v.Value;
        _d.Error(Codes.BadTolerance, v.Span, $"a tolerance is a finite number >= 0, not {v}");
        return null;
    }
}
