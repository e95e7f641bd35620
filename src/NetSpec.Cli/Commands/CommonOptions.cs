using System.CommandLine;
using NetSpec.Parser.Yaml;

namespace NetSpec.Cli.Commands;

/// <summary>
/// Options every command that reads specs shares: the limits against hostile input. Every number
/// option of every command is range-checked where it is defined (<see cref="InputChecks.Between"/>).
/// </summary>
internal sealed class CommonOptions
{
    public Option<long> MaxFileBytes { get; } = new Option<long>("--max-file-bytes") { Description = "Largest spec file accepted, in bytes", DefaultValueFactory = _ => ParserLimits.Default.MaxFileBytes }.Between(1, long.MaxValue);
    public Option<int> MaxDepth { get; } = new Option<int>("--max-depth") { Description = $"Deepest YAML nesting accepted (at most {ParserLimits.DepthCeiling})", DefaultValueFactory = _ => ParserLimits.Default.MaxDepth }.Between(1, ParserLimits.DepthCeiling);
    public Option<long> MaxNodes { get; } = new Option<long>("--max-nodes") { Description = "Most YAML nodes after alias expansion", DefaultValueFactory = _ => ParserLimits.Default.MaxNodes }.Between(1, long.MaxValue);
    public Option<int> MaxStringLength { get; } = new Option<int>("--max-string-length") { Description = "Longest YAML scalar, in characters", DefaultValueFactory = _ => ParserLimits.Default.MaxStringLength }.Between(1, int.MaxValue);
    public Option<long> MaxElements { get; } = new Option<long>("--max-elements") { Description = "Most tensor elements a spec may declare", DefaultValueFactory = _ => ParserLimits.Default.MaxElements }.Between(1, long.MaxValue);
    public Option<bool> AllowOutsidePaths { get; } = new("--allow-outside-paths") { Description = "Let the paths a spec reads and writes (data, parameters, checkpoints, outputs) leave the spec's folder, by text or through symbolic links" };

    /// <summary>
    /// <c>--quiet</c>, <c>-q</c>, the same for every command that has it (run, check, test,
    /// gradcheck): only failures and the summary line are printed; diagnostics and errors still are.
    /// </summary>
    public static Option<bool> Quiet() => new("--quiet", "-q") { Description = "Print only failures and the summary: no trace, no passing checks, no progress lines (diagnostics still print)" };

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
