using System.CommandLine;
using NetSpec.Parser.Yaml;

namespace NetSpec.Cli.Commands;

/// <summary>Options every command that reads specs shares: the limits against hostile input.</summary>
internal sealed class CommonOptions
{
    public Option<long> MaxFileBytes { get; } = new("--max-file-bytes") { Description = "Largest spec file accepted, in bytes", DefaultValueFactory = _ => ParserLimits.Default.MaxFileBytes };
    public Option<int> MaxDepth { get; } = MaxDepthOption();
    public Option<long> MaxNodes { get; } = new("--max-nodes") { Description = "Most YAML nodes after alias expansion", DefaultValueFactory = _ => ParserLimits.Default.MaxNodes };
    public Option<int> MaxStringLength { get; } = new("--max-string-length") { Description = "Longest YAML scalar, in characters", DefaultValueFactory = _ => ParserLimits.Default.MaxStringLength };
    public Option<long> MaxElements { get; } = new("--max-elements") { Description = "Most tensor elements a spec may declare", DefaultValueFactory = _ => ParserLimits.Default.MaxElements };
    public Option<bool> AllowOutsidePaths { get; } = new("--allow-outside-paths") { Description = "Let data file paths leave the spec's folder" };

    private static Option<int> MaxDepthOption()
    {
        var o = new Option<int>("--max-depth") { Description = $"Deepest YAML nesting accepted (at most {ParserLimits.DepthCeiling})", DefaultValueFactory = _ => ParserLimits.Default.MaxDepth };
        o.Validators.Add(r =>
        {
            int v = r.GetValueOrDefault<int>();
            if (v < 1 || v > ParserLimits.DepthCeiling) r.AddError($"--max-depth must be between 1 and {ParserLimits.DepthCeiling}, not {v}");
        });
        return o;
    }

    public void AddTo(Command c)
    {
        c.Options.Add(MaxFileBytes);
        c.Options.Add(MaxDepth);
        c.Options.Add(MaxNodes);
        c.Options.Add(MaxStringLength);
        c.Options.Add(MaxElements);
        c.Options.Add(AllowOutsidePaths);
    }

    public ParserLimits Limits(ParseResult r) => new()
    {
        MaxFileBytes = r.GetValue(MaxFileBytes),
        MaxDepth = r.GetValue(MaxDepth),
        MaxNodes = r.GetValue(MaxNodes),
        MaxStringLength = r.GetValue(MaxStringLength),
        MaxElements = r.GetValue(MaxElements),
        AllowOutsidePaths = r.GetValue(AllowOutsidePaths),
    };
}
