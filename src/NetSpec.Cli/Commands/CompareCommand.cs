using System.CommandLine;
using System.Globalization;
using NetSpec.Parser.Diagnostics;
using NetSpec.Runtime.Trace;

namespace NetSpec.Cli.Commands;

/// <summary>
/// <c>netspec compare A.jsonl B.jsonl [--rtol R] [--atol A] [--equal-nan]</c>: two JSON-lines
/// traces compared value by value (<see cref="TraceCompare"/>); the first divergence, a summary per
/// node, the records only one trace has; exit 0 when they match, 1 when not, 2 when a file is not a trace.
/// </summary>
internal static class CompareCommand
{
    /// <summary>The most records listed per kind of mismatch (missing, shape); the counts count them all.</summary>
    private const int Listed = 20;

    public static Command Create()
    {
        var a = new Argument<string>("a") { Description = "The trace to check (JSON lines, as 'netspec run --trace-file' writes them)" };
        var b = new Argument<string>("b") { Description = "The reference trace: the tolerance scales with its values" };
        var rtol = new Option<double>("--rtol") { Description = "Relative tolerance: a matches b when |a - b| <= atol + rtol * |b| (torch.allclose's rule)", DefaultValueFactory = _ => 1e-10 }
            .Between(0, double.MaxValue);
        var atol = new Option<double>("--atol") { Description = "Absolute tolerance (with the default 0, a zero in b is matched only by a zero)", DefaultValueFactory = _ => 0 }
            .Between(0, double.MaxValue);
        var equalNan = new Option<bool>("--equal-nan") { Description = "Let a NaN match a NaN (by default NaN matches nothing, as in torch.allclose)" };
        var cmd = new Command("compare",
            "Compare two traces value by value (records matched by phase, step and node): the first divergence with its index and both values, " +
            "the largest differences per node, the records only one trace has; exit 1 on any mismatch")
        {
            a, b, rtol, atol, equalNan,
        };
        cmd.SetAction(r => Run(r.GetValue(a)!, r.GetValue(b)!, new TraceCompareOptions(r.GetValue(rtol), r.GetValue(atol), r.GetValue(equalNan)), Console.Out, Console.Error));
        return cmd;
    }

    public static int Run(string pathA, string pathB, TraceCompareOptions options, TextWriter output, TextWriter error)
    {
        foreach (var path in new[] { pathA, pathB })
            if (!File.Exists(path) && !Directory.Exists(path))
            {
                error.WriteLine($"netspec: the trace '{Excerpt.ClipPath(path)}' does not exist");
                return ExitCodes.InvalidSpec;
            }
        TraceComparison c;
        try
        {
            c = TraceCompare.Compare(pathA, pathB, options);
        }
        catch (TraceFormatException e)
        {
            error.WriteLine($"{Excerpt.ClipPath(e.Path)}:{e.Line}:{e.Column}: error: {e.Message}");
            return ExitCodes.InvalidSpec;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"netspec: cannot read a trace: {Excerpt.Message(e.Message)}");
            return ExitCodes.InvalidSpec;
        }
        Print(c, pathA, pathB, output);
        return c.Equal ? ExitCodes.Success : ExitCodes.ExpectationFailed;
    }

    private static void Print(TraceComparison c, string pathA, string pathB, TextWriter o)
    {
        var opt = c.Options;
        o.WriteLine($"a: {Excerpt.ClipPath(pathA)} ({Count(c.RecordsA, "record")})");
        o.WriteLine($"b: {Excerpt.ClipPath(pathB)} ({Count(c.RecordsB, "record")})");
        o.WriteLine($"rule: |a - b| <= {N(opt.AbsoluteTolerance)} + {N(opt.RelativeTolerance)} * |b|{(opt.EqualNaN ? ", NaN matches NaN" : ", NaN matches nothing")}");
        var first = c.FirstDivergence;
        var firstShape = c.Structure.Count > 0 ? c.Structure[0] : null;
        if (first is not null && (firstShape is null || first.LineA <= firstShape.LineA))
        {
            o.WriteLine($"first divergence: {first.Key} (a line {first.LineA}, b line {first.LineB}), {first.Field}[{first.Index}] at index [{string.Join(", ", first.MultiIndex)}]:");
            o.WriteLine($"  a = {N(first.A)}");
            o.WriteLine($"  b = {N(first.B)}");
            o.WriteLine($"  |a - b| = {D(first.Difference)}{Relative(first)}, allowed {D(opt.AbsoluteTolerance + opt.RelativeTolerance * Math.Abs(first.B))}");
        }
        else if (firstShape is not null)
            o.WriteLine($"first divergence: {firstShape.Key} (a line {firstShape.LineA}, b line {firstShape.LineB}): {firstShape.Description}");

        if (c.Nodes.Count > 0)
        {
            o.WriteLine();
            o.WriteLine("per node (records both traces have):");
            var rows = new List<string[]> { new[] { "phase", "node", "records", "values", "over", "max |a-b|", "where", "max |a-b|/|b|", "where" } };
            foreach (var n in c.Nodes)
                rows.Add([n.Phase, n.Name, N(n.Records), N(n.Values), N(n.Mismatches), D(n.MaxAbsolute), Where(n.MaxAbsoluteAt), D(n.MaxRelative), Where(n.MaxRelativeAt)]);
            var widths = Enumerable.Range(0, rows[0].Length).Select(k => rows.Max(row => row[k].Length)).ToArray();
            foreach (var row in rows)
                o.WriteLine(("  " + string.Join("  ", row.Select((cell, k) => k is 2 or 3 or 4 ? cell.PadLeft(widths[k]) : cell.PadRight(widths[k])))).TrimEnd());
        }

        if (c.StructureCount > 0)
        {
            o.WriteLine();
            o.WriteLine($"{Count(c.StructureCount, "record")} that cannot be compared value by value:");
            foreach (var s in c.Structure.Take(Listed)) o.WriteLine($"  {s.Key} (a line {s.LineA}, b line {s.LineB}): {s.Description}");
            More(o, c.StructureCount, Math.Min(Listed, c.Structure.Count));
        }
        Missing(o, "a", pathA, c.OnlyInA, c.OnlyInACount);
        Missing(o, "b", pathB, c.OnlyInB, c.OnlyInBCount);

        o.WriteLine();
        string verdict = c.Equal ? "equal" : "DIFFERENT";
        o.WriteLine($"{verdict}: {Count(c.RecordsCompared, "record")} compared ({Count(c.ValuesCompared, "value")}), {N(c.RecordsDiffering)} differing " +
                    $"({N(c.ValuesOverTolerance)} value{(c.ValuesOverTolerance == 1 ? "" : "s")} over the tolerance, {N(c.StructureCount)} shape or field mismatch{(c.StructureCount == 1 ? "" : "es")}), " +
                    $"{N(c.OnlyInACount)} only in a, {N(c.OnlyInBCount)} only in b");
    }

    private static void Missing(TextWriter o, string side, string path, IReadOnlyList<TraceMissingRecord> records, long count)
    {
        if (count == 0) return;
        o.WriteLine();
        o.WriteLine($"{Count(count, "record")} only in {side} ({Excerpt.ClipPath(path)}), missing from the other:");
        foreach (var m in records.Take(Listed)) o.WriteLine($"  {m.Key} (line {m.Line})");
        More(o, count, Math.Min(Listed, records.Count));
    }

    private static void More(TextWriter o, long count, int shown)
    {
        if (count > shown) o.WriteLine($"  ... and {N(count - shown)} more");
    }

    private static string Relative(TraceDivergence d) =>
        d.B != 0 && double.IsFinite(d.Difference) ? $" (relative {D(d.Difference / Math.Abs(d.B))})" : "";

    private static string Where(TraceDivergence? d) =>
        d is null ? "-" : $"step {d.Key.Step}{(d.Key.Occurrence > 1 ? $" (record {d.Key.Occurrence})" : "")} {d.Field}[{string.Join(",", d.MultiIndex)}]";

    private static string Count(long n, string what) => $"{N(n)} {what}{(n == 1 ? "" : "s")}";

    private static string N(long n) => n.ToString(CultureInfo.InvariantCulture);

    /// <summary>A value in its shortest round-trip form, as the trace writes it.</summary>
    private static string N(double v) => v.ToString("R", CultureInfo.InvariantCulture).Replace('E', 'e');

    /// <summary>A difference to 3 significant digits.</summary>
    private static string D(double v) => v == 0 ? "0" : v.ToString("G3", CultureInfo.InvariantCulture).Replace('E', 'e');
}
