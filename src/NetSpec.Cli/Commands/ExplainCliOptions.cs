using System.CommandLine;
using NetSpec.Runtime.Explain;

namespace NetSpec.Cli.Commands;

/// <summary>
/// The options that say how arithmetic is written out, shared by <c>run --explain</c>,
/// <c>report</c> and <c>worksheet</c>.
/// </summary>
internal sealed class ExplainCliOptions
{
    public Option<int> Digits { get; } = new Option<int>("--digits") { Description = "Significant digits of numbers that are not whole (whole numbers are always exact)", DefaultValueFactory = _ => 7 }.Between(1, 17);
    public Option<int> Entries { get; } = new Option<int>("--explain-entries") { Description = "Most entries of one tensor written out per sample; the rest are said to be left out", DefaultValueFactory = _ => 12 }.Between(1, 1_000_000);
    public Option<int?> Sample { get; } = new("--explain-sample") { Description = "The sample of the batch to write out (1-based), or 0 for every sample (default: every sample of a batch of at most 4, else the first)" };
    public Option<string[]> Nodes { get; } = new("--explain-nodes") { Description = "Only these nodes and parameters (comma-separated names)", AllowMultipleArgumentsPerToken = true };

    public void AddTo(Command c)
    {
        c.Options.Add(Digits);
        c.Options.Add(Entries);
        c.Options.Add(Sample);
        c.Options.Add(Nodes);
    }

    public ExplainOptions Read(ParseResult r)
    {
        var nodes = r.GetValue(Nodes) is { Length: > 0 } given
            ? given.SelectMany(n => n.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToHashSet(StringComparer.Ordinal)
            : null;
        return new ExplainOptions
        {
            Digits = r.GetValue(Digits),
            MaxEntries = r.GetValue(Entries),
            Sample = r.GetValue(Sample),
            Nodes = nodes,
        };
    }

    /// <summary>What is wrong with the options for <paramref name="graph"/> (a sample past the batch, an unknown node), or null.</summary>
    public static string? Check(ExplainOptions o, Runtime.Graph.NetworkGraph graph, int batch)
    {
        if (o.Sample is int s && (s < 0 || s > batch))
            return $"--explain-sample {s}: the batch has {batch} sample{(batch == 1 ? "" : "s")} (1 to {batch}, or 0 for all)";
        if (o.Nodes is { } nodes)
            foreach (var n in nodes)
                if (graph.Find(n) is null)
                    return $"--explain-nodes: the spec has no node or value '{n}'" + (Parser.Diagnostics.Suggest.Closest(n, graph.Values.Select(v => v.Name)) is { } close ? $"; did you mean '{close}'?" : "");
        return null;
    }
}
