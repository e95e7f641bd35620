using NetSpec.Parser.Diagnostics;
using NetSpec.Parser.Model;
using NetSpec.Parser.Reading;
using NetSpec.Parser.Sections;
using NetSpec.Parser.Yaml;
using YamlDotNet.RepresentationModel;

namespace NetSpec.Parser;

/// <summary>
/// Turns a spec file into a <see cref="SpecDocument"/> and diagnostics. It reports every
/// independent mistake it finds in one pass; it only reads, it never computes. Each section has
/// its own reader (Sections/), and all of them read values through one <c>SpecReader</c>.
/// </summary>
public static class SpecParser
{
    /// <summary>The keys a spec may have at its top level, in the order the docs present them.</summary>
    public static readonly string[] TopLevelKeys =
        ["netspec", "name", "description", "source", "dtype", "mode", "hyperparameters", "data", "parameters",
         "network", "backward", "optimizer", "expect", "dataset", "training", "parameters_file"];

    /// <summary>The sections whose value is a mapping.</summary>
    private static readonly string[] MappingSections =
        ["hyperparameters", "data", "parameters", "network", "backward", "optimizer", "expect", "dataset", "training"];

    /// <summary>The sections that declare values (the dataset its inputs and targets): the names nodes and expectations refer to.</summary>
    private static readonly string[] ValueSections = ["dataset", "data", "parameters", "network"];

    // The key lists and closed vocabularies of the sections, for the schema test and tools.

    /// <summary>The modes <c>mode:</c> names (training and evaluation).</summary>
    public static readonly string[] Modes = MetadataSection.Modes;
    /// <summary>The initializers <c>init:</c> names.</summary>
    public static readonly string[] InitializerKinds = ParametersSection.InitializerKinds;
    /// <summary>The keys of an initializer.</summary>
    public static readonly string[] InitializerKeys = ParametersSection.InitializerKeys;
    /// <summary>The optimizers <c>optimizer: type:</c> names.</summary>
    public static readonly string[] OptimizerTypes = OptimizerSection.Types;
    /// <summary>The keys of <c>backward:</c>.</summary>
    public static readonly string[] BackwardKeys = BackwardSection.Keys;
    /// <summary>The keys of <c>optimizer:</c>.</summary>
    public static readonly string[] OptimizerKeys = OptimizerSection.Keys;
    /// <summary>The keys of <c>expect:</c>.</summary>
    public static readonly string[] ExpectKeys = ExpectSection.Keys;
    /// <summary>The keys of one expectation written as a mapping.</summary>
    public static readonly string[] CheckKeys = ExpectSection.CheckKeys;
    /// <summary>The keys of <c>dataset:</c>.</summary>
    public static readonly string[] DatasetKeys = DatasetSection.Keys;
    /// <summary>The keys of <c>dataset: synthetic:</c>.</summary>
    public static readonly string[] SyntheticKeys = SyntheticSection.Keys;
    /// <summary>The keys of <c>dataset: split:</c>.</summary>
    public static readonly string[] SplitKeys = DatasetSection.SplitKeys;
    /// <summary>The keys of <c>training:</c>.</summary>
    public static readonly string[] TrainingKeys = TrainingSection.Keys;
    /// <summary>The keys of <c>training: early_stopping:</c>.</summary>
    public static readonly string[] EarlyStoppingKeys = TrainingSection.EarlyStoppingKeys;
    /// <summary>The keys of <c>training: checkpoint:</c>.</summary>
    public static readonly string[] CheckpointKeys = TrainingSection.CheckpointKeys;
    /// <summary>The keys of <c>training: trace:</c>.</summary>
    public static readonly string[] TrainingTraceKeys = TrainingSection.TraceKeys;
    /// <summary>The keys of <c>training: outputs:</c>.</summary>
    public static readonly string[] OutputKeys = TrainingSection.OutputKeys;
    /// <summary>The keys of <c>optimizer: schedule:</c>.</summary>
    public static readonly string[] ScheduleKeys = ScheduleSection.Keys;
    /// <summary>The schedules <c>schedule: type:</c> names.</summary>
    public static readonly string[] ScheduleTypes = ScheduleSection.Types;
    /// <summary>The final metrics a spec can check under <c>expect: metrics:</c>.</summary>
    public static readonly string[] MetricNames = ExpectSection.MetricNames;
    /// <summary>The keys of one metric check.</summary>
    public static readonly string[] MetricCheckKeys = ExpectSection.MetricCheckKeys;

    /// <summary>The result of parsing: the document (null when the file could not be read as a spec) and its source.</summary>
    public sealed record Result(SpecDocument? Document, SourceText? Source);

    /// <summary>Reads and parses a spec file.</summary>
    public static Result ParseFile(string path, DiagnosticBag diagnostics, ParserLimits? limits = null)
    {
        limits ??= ParserLimits.Default;
        return Parse(path, limits, diagnostics, YamlLoader.LoadFile(path, limits, diagnostics));
    }

    /// <summary>Parses spec text (for tests and tools); <paramref name="path"/> names it in diagnostics.</summary>
    public static Result ParseText(string path, string text, DiagnosticBag diagnostics, ParserLimits? limits = null)
    {
        limits ??= ParserLimits.Default;
        return Parse(path, limits, diagnostics, YamlLoader.LoadText(path, text, limits, diagnostics));
    }

    private static Result Parse(string path, ParserLimits limits, DiagnosticBag diagnostics, YamlLoader.Result loaded) =>
        loaded.Root is null ? new(null, loaded.Source)
            : new(Root(new SpecReader(path, limits, diagnostics, loaded.Source), loaded.Root), loaded.Source);

    /// <summary>The sections in the order they depend on each other: hyperparameters before any number, the dataset's names before data.</summary>
    private static SpecDocument? Root(SpecReader r, YamlNode root)
    {
        if (root is YamlScalarNode rs && YamlNodes.IsNull(rs))
        {
            r.Error(Codes.FileEmpty, new SourceSpan(r.Path, 1, 1, 1, 1), "the spec file has no content");
            return null;
        }
        if (root is not YamlMappingNode map)
        {
            r.Error(Codes.WrongType, root, $"a spec is a mapping of sections (network:, data:, ...), not {YamlNodes.Describe(root)}");
            return null;
        }
        var e = r.Fields(map, TopLevelKeys, "spec", outline: true);
        YamlNode? Value(string key) => e.TryGet(key, out var f) ? f.Value : null;
        // The value under a section's key, or under the unknown key reported as its misspelling.
        YamlNode? Written(string key) => Value(key) ?? map.Children.FirstOrDefault(c =>
            c.Key is YamlScalarNode { Value: { } k } && Array.IndexOf(TopLevelKeys, k) < 0 && Suggest.Closest(k, TopLevelKeys) == key).Value;
        // A misspelled section is not read: what it declares or sets is unknown, not missing.
        foreach (var key in TopLevelKeys)
            if (e.Misspelled(key)) r.Unread.Add(key);
        // So is a section that is not a mapping (each reader reports it).
        foreach (var key in MappingSections)
            if (Value(key) is { } sv && sv is not YamlMappingNode) r.Unread.Add(key);
        if (r.Unread.Contains("hyperparameters")) MarkDeclared(r, "hyperparameters", Written("hyperparameters"));
        T? Read<T>(string key, Func<SpecReader, YamlNode, T?> read) where T : class
        {
            if (Value(key) is not { } node) return null;
            var value = read(r, node);
            if (value is null) r.Unread.Add(key); // refused, with a diagnostic
            return value;
        }

        var meta = MetadataSection.Read(r, e);
        var hyper = Value("hyperparameters") is { } hy ? HyperparametersSection.Read(r, hy) : [];
        var dataset = Read("dataset", DatasetSection.Read);
        var data = Value("data") is { } da ? DataSection.Read(r, da) : [];
        var parameters = Value("parameters") is { } pa ? ParametersSection.Read(r, pa) : [];
        List<NodeDecl> network = [];
        if (Value("network") is { } ne) network = NetworkSection.Read(r, ne);
        else if (!e.Misspelled("network")) r.Error(Codes.MissingField, new SourceSpan(r.Path, 1, 1, 1, 1), "the spec has no 'network' section: it needs at least one node");
        var backward = Read("backward", BackwardSection.Read);
        var optimizer = Read("optimizer", OptimizerSection.Read);
        var (tolerance, expectations) = Value("expect") is { } ex ? ExpectSection.Read(r, ex) : (ExpectSection.DefaultTolerance, []);
        var training = Read("training", TrainingSection.Read);
        var parametersFile = Value("parameters_file") is { } pf ? r.RelativePath(pf, "parameters_file") : null;
        var metrics = Value("expect") is { } exm ? ExpectSection.ReadMetrics(r, exm) : [];
        foreach (var key in ValueSections)
            if (r.Unread.Contains(key)) MarkDeclared(r, key, Written(key));

        var doc = new SpecDocument(r.Path, meta.Version, meta.Name, meta.Description, meta.Source, meta.DType, hyper, data, parameters, network,
            backward, optimizer, tolerance, expectations)
        {
            Dataset = dataset,
            Mode = meta.Mode,
            OptimizerRefused = r.Unread.Contains("optimizer"),
            Training = training,
            ParametersFile = parametersFile,
            MetricExpectations = metrics,
            InvalidNames = r.Invalid,
            UnreadSections = r.Unread,
        };
        OutputPaths.Check(r, doc);
        return doc;
    }

    /// <summary>
    /// Marks the names an unread section declares as unknown because of an earlier error, so that
    /// references to them are not reported: the keys of a mapping of values or hyperparameters,
    /// the dataset's inputs and targets; any name when they cannot be told from what is written.
    /// </summary>
    private static void MarkDeclared(SpecReader r, string section, YamlNode? written)
    {
        bool hyper = section == "hyperparameters";
        string any = hyper ? SpecDocument.AnyHyperparameter : SpecDocument.AnyName;
        if (section == "dataset")
        {
            var names = written is YamlMappingNode ds
                ? ds.Children.Where(c => c.Key is YamlScalarNode { Value: "inputs" or "targets" }).Select(c => (c.Value as YamlScalarNode)?.Value).ToList()
                : [];
            if (names.Count == 2 && names.All(n => n is { Length: > 0 })) r.Invalid.UnionWith(names!);
            else r.Invalid.Add(any);
            return;
        }
        if (written is not YamlMappingNode m)
        {
            r.Invalid.Add(any);
            return;
        }
        foreach (var c in m.Children)
        {
            if (c.Key is YamlScalarNode { Value: { } name }) r.Invalid.Add(name);
            else r.Invalid.Add(any);
        }
    }
}
