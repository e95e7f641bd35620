using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using NetSpec.Parser.Diagnostics;
using NetSpec.Parser.Yaml;
using NetSpec.Runtime.Explain;
using NetSpec.Runtime.Trace;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace NetSpec.Cli.Worksheets;

/// <summary>One filled-in value: entry <paramref name="Index"/> (row-major, 0-based) of value <paramref name="Name"/>, as the student wrote it.</summary>
internal sealed record Answer(ExplainKind Kind, string Name, int Index, double Value, string Text, SourceSpan Span);

/// <summary>
/// A student's answers file (docs/worksheets.md): sections <c>forward</c>, <c>gradients</c> and
/// <c>updated</c> (the spec's <c>expect:</c> layout), each mapping a value to its entries
/// (<c>z: [24, 47, 86]</c>, nested lists for a matrix, <c>~</c> for an entry not answered) or one
/// entry to a number (<c>z_2: 47</c> or <c>W_12: 10.2</c>, 1-based as the worksheet writes
/// them; <c>W[0,1]</c>, 0-based, also works); an optional <c>step: N</c> (default 1) says which
/// step's values are answered. Every mistake in the file is a diagnostic at its line and column.
/// </summary>
internal static partial class AnswerFile
{
    public static readonly string[] Sections = ["forward", "gradients", "updated"];

    public sealed record Result(int Step, IReadOnlyList<Answer> Answers, int Unanswered, SourceText? Source);

    public static Result Read(string path, ExplainedRun run, DiagnosticBag bag)
    {
        var loaded = YamlLoader.LoadFile(path, ParserLimits.Default, bag);
        var answers = new List<Answer>();
        int step = 1, unanswered = 0;
        if (loaded.Root is null) return new Result(step, answers, 0, loaded.Source);
        SourceSpan At(YamlNode n) => new(path, (int)n.Start.Line, (int)n.Start.Column, (int)n.End.Line, (int)n.End.Column);
        void Error(YamlNode n, string message) => bag.Error(Codes.AnswersInvalid, At(n), message);
        if (loaded.Root is not YamlMappingNode root)
        {
            Error(loaded.Root, "an answers file is a mapping with sections forward, gradients and updated (docs/worksheets.md)");
            return new Result(step, answers, 0, loaded.Source);
        }
        if (root.Children.FirstOrDefault(kv => kv.Key is YamlScalarNode { Value: "step" }) is { Key: not null } s)
        {
            if (s.Value is YamlScalarNode sv && int.TryParse(sv.Value, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && run.Steps.Contains(n)) step = n;
            else Error(s.Value, $"step: the run has steps {string.Join(", ", run.Steps)}; write one of them");
        }
        foreach (var (keyNode, value) in root.Children)
        {
            if (keyNode is not YamlScalarNode { Value: { } key } || key == "step") continue;
            int section = Array.IndexOf(Sections, key);
            if (section < 0)
            {
                Error(keyNode, $"unknown section '{key}'" + (Suggest.Closest(key, Sections.Append("step")) is { } c ? $"; did you mean '{c}'?" : "") + " (sections: forward, gradients, updated, step)");
                continue;
            }
            var kind = (ExplainKind)section;
            if (value is YamlScalarNode empty && IsNull(empty)) continue;
            if (value is not YamlMappingNode entries)
            {
                Error(value, $"{key}: a mapping from values to their answers, e.g. z: [24, 47, 86]");
                continue;
            }
            foreach (var (entryKey, entryValue) in entries.Children)
            {
                if (entryKey is not YamlScalarNode { Value: { Length: > 0 } entryText })
                {
                    Error(entryKey, $"{key}: a value's name, e.g. z or z_2");
                    continue;
                }
                var (name, index) = ParseKey(entryText, run, step, kind, out string? keyError);
                if (keyError is not null)
                {
                    Error(entryKey, keyError);
                    continue;
                }
                var e = run.Find(step, kind, name)!;
                if (index is int flat)
                {
                    if (entryValue is not YamlScalarNode one)
                        Error(entryValue, $"{entryText}: one number (the entry's value)");
                    else if (Number(one, out double x, out string? why) is { } ok) { if (ok) answers.Add(new Answer(kind, name, flat, x, one.Value!, At(one))); else unanswered++; }
                    else Error(one, $"{entryText}: {why}");
                    continue;
                }
                var leaves = new List<YamlNode>();
                Flatten(entryValue, leaves);
                if (leaves.Count != e.Shape.Length)
                {
                    Error(entryValue, $"{name} has {e.Shape.Length} entr{(e.Shape.Length == 1 ? "y" : "ies")} ({e.Shape}); the answer has {leaves.Count}");
                    continue;
                }
                for (int i = 0; i < leaves.Count; i++)
                {
                    if (leaves[i] is not YamlScalarNode leaf)
                    {
                        Error(leaves[i], $"{name}: entries are numbers, or ~ for an entry not answered");
                        continue;
                    }
                    if (Number(leaf, out double x, out string? why) is not { } ok) Error(leaf, $"{name}: {why}");
                    else if (ok) answers.Add(new Answer(kind, name, i, x, leaf.Value!, At(leaf)));
                    else unanswered++;
                }
            }
        }
        return new Result(step, answers, unanswered, loaded.Source);
    }

    private static void Flatten(YamlNode n, List<YamlNode> leaves)
    {
        if (n is YamlSequenceNode seq)
            foreach (var c in seq.Children) Flatten(c, leaves);
        else leaves.Add(n);
    }

    private static bool IsNull(YamlScalarNode s) =>
        s.Style == ScalarStyle.Plain && (s.Value is null or "" or "~" or "null" or "_" or "?");

    /// <summary>True with the number, false for an entry not answered (~), null with why for anything else.</summary>
    private static bool? Number(YamlScalarNode s, out double value, out string? why)
    {
        value = 0;
        why = null;
        if (IsNull(s)) return false;
        if (s.Style == ScalarStyle.Plain && s.Value is { Length: > 0 } t && (char.IsAsciiDigit(t[0]) || t[0] is '-' or '+' or '.')
            && double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value))
            return true;
        why = $"'{Excerpt.Clip(s.Value ?? "")}' is not a number (write ~ for an entry not answered)";
        return null;
    }

    [GeneratedRegex(@"^(?<name>[A-Za-z][A-Za-z0-9]*?)(?:\[(?<zero>[0-9, ]+)\]|_\{?(?<one>[0-9,]+)\}?)?$")]
    private static partial Regex KeyPattern();

    /// <summary>The value and entry a key names: z (the whole value), z_2 / W_12 / W_{1,2} (1-based), z[1] / W[0,1] (0-based).</summary>
    private static (string Name, int? Index) ParseKey(string key, ExplainedRun run, int step, ExplainKind kind, out string? error)
    {
        error = null;
        string name = key;
        int[]? idx = null;
        bool oneBased = false;
        if (run.Graph.Find(key) is null)
        {
            var m = KeyPattern().Match(key);
            if (m.Success && (m.Groups["zero"].Success || m.Groups["one"].Success))
            {
                name = m.Groups["name"].Value;
                oneBased = m.Groups["one"].Success;
                string digits = oneBased ? m.Groups["one"].Value : m.Groups["zero"].Value;
                idx = digits.Contains(',', StringComparison.Ordinal)
                    ? [.. digits.Split(',', StringSplitOptions.TrimEntries).Select(d => int.TryParse(d, CultureInfo.InvariantCulture, out int x) ? x : -1)]
                    : oneBased ? [.. digits.Select(c => c - '0')] : [int.TryParse(digits.Trim(), CultureInfo.InvariantCulture, out int z) ? z : -1];
                // z_12 of a vector is its twelfth entry; W_12 of a matrix is row 1, column 2.
                if (oneBased && !digits.Contains(',', StringComparison.Ordinal) && run.Find(step, kind, name) is { } v && Entries(v.Shape).Length == 1)
                    idx = [int.TryParse(digits, CultureInfo.InvariantCulture, out int one) ? one : -1];
            }
        }
        if (run.Graph.Find(name) is null)
        {
            error = $"the spec has no value '{name}'" + (Suggest.Closest(name, run.Graph.Values.Select(v => v.Name)) is { } c ? $"; did you mean '{c}'?" : "");
            return (name, null);
        }
        if (run.Find(step, kind, name) is not { } e)
        {
            error = kind switch
            {
                ExplainKind.Gradient => $"the run has no gradient of '{name}' in step {step}",
                ExplainKind.Updated => $"'{name}' is not updated in step {step} (only parameters are)",
                _ => $"the run has no value '{name}' in step {step}",
            };
            return (name, null);
        }
        if (idx is null) return (name, null);
        var dims = Entries(e.Shape);
        if (oneBased) idx = [.. idx.Select(i => i - 1)];
        if (idx.Length != dims.Length || idx.Where((i, k) => i < 0 || i >= dims[k]).Any())
        {
            error = $"'{key}': {name} is {e.Shape} ({(dims.Length == 0 ? "a scalar: write its name alone" : $"entries {Label(name, kind, dims, 0, ExplainKind.Forward)} to {Label(name, kind, dims, dims.Aggregate(1, (a, b) => a * b) - 1, ExplainKind.Forward)}")})";
            return (name, null);
        }
        int flat = 0;
        for (int k = 0; k < dims.Length; k++) flat = flat * dims[k] + idx[k];
        return (name, flat);
    }

    /// <summary>The axes a student indexes: a leading batch axis of one sample is left out (z_2 for z of shape 1x3).</summary>
    public static int[] Entries(Runtime.Tensors.Shape shape)
    {
        var dims = shape.ToArray();
        return dims.Length >= 2 && dims[0] == 1 ? dims[1..] : dims;
    }

    /// <summary>An entry as the worksheet writes it: z_2, dJ/dW_12, W*_12.</summary>
    public static string Label(string name, ExplainKind kind, int[] dims, int flat, ExplainKind? asKind = null)
    {
        var idx = new int[dims.Length];
        for (int k = dims.Length - 1; k >= 0; k--)
        {
            idx[k] = flat % dims[k] + 1;
            flat /= dims[k];
        }
        var sym = new MathSymbol(name, idx.Length == 0 ? null : idx) { Updated = (asKind ?? kind) == ExplainKind.Updated };
        MathExpr e = (asKind ?? kind) == ExplainKind.Gradient ? new MathGradient(sym) : sym;
        return new TextMathRenderer(7).Render(e);
    }

    /// <summary>An answers file with every asked value's entries to fill in (~).</summary>
    public static string Template(ExplainedRun run, Blanks blanks, string specPath)
    {
        var sb = new StringBuilder();
        sb.Append("# Answers to the worksheet of ").Append(Path.GetFileName(specPath)).Append(": replace each ~ with your value\n");
        sb.Append("# (leave ~ where you have none), then: netspec check-answers SPEC THIS-FILE\n");
        int step = run.Steps.Count > 0 ? run.Steps[0] : 1;
        if (run.Steps.Count > 1) sb.Append("step: ").Append(step).Append('\n');
        var root = run.Graph.Values[run.Graph.BackwardFrom].Name;
        foreach (var kind in new[] { ExplainKind.Forward, ExplainKind.Gradient, ExplainKind.Updated })
        {
            var phase = kind switch { ExplainKind.Forward => TracePhase.Forward, ExplainKind.Gradient => TracePhase.Backward, _ => TracePhase.Update };
            var names = run.Events.Where(e => e.Step == step && e.Phase == phase).Select(e => e.Name).Distinct()
                .Where(n => blanks.Asks(kind, n))
                .Where(n => kind != ExplainKind.Forward || run.Graph.Find(n)?.Kind == Runtime.Graph.ValueKind.Node)
                .Where(n => kind != ExplainKind.Gradient || run.Graph.Spec.Backward is null || n != root)
                .ToList();
            if (names.Count == 0) continue;
            sb.Append(Sections[(int)kind]).Append(":\n");
            foreach (var n in names)
            {
                var dims = Entries(run.Find(step, kind, n)!.Shape);
                sb.Append("  ").Append(n).Append(": ").Append(Blank(dims, 0)).Append('\n');
            }
        }
        return sb.ToString();
    }

    private static string Blank(int[] dims, int axis) =>
        axis == dims.Length ? "~" : "[" + string.Join(", ", Enumerable.Repeat(Blank(dims, axis + 1), dims[axis])) + "]";
}
