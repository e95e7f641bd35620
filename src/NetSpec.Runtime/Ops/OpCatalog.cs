using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace NetSpec.Runtime.Ops;

/// <summary>
/// What people read about the ops, generated from their definitions: the text of
/// <c>netspec ops</c>, the op tables and per-op sections of the docs (the regions of
/// <see cref="GeneratedRegions"/>). Pure functions of the registry, so the command, the docs
/// and the tests that keep the docs current all print the same words.
/// </summary>
public static class OpCatalog
{
    /// <summary>The ops of the registry grouped by category, categories in order of first appearance.</summary>
    public static IEnumerable<IGrouping<string, Op>> ByCategory(IEnumerable<Op> ops) => ops.GroupBy(o => o.Category);

    /// <summary><c>netspec ops</c>: every op under its category, with its forward formula.</summary>
    public static string ListText(IEnumerable<Op> ops)
    {
        var all = ops.ToList();
        int width = all.Count == 0 ? 0 : all.Max(o => o.Name.Length);
        var sb = new StringBuilder();
        foreach (var group in ByCategory(all))
        {
            sb.Append(group.Key).Append('\n');
            foreach (var op in group) sb.Append("  ").Append(op.Name.PadRight(width)).Append("  ").Append(op.Formula).Append('\n');
        }
        sb.Append('\n').Append("netspec ops NAME shows one op: inputs, attributes, formulas, shape rule, ONNX forms, an example.\n");
        return sb.ToString();
    }

    /// <summary><c>netspec ops NAME</c>: everything NetSpec knows about one op, for a terminal.</summary>
    public static string Text(Op op)
    {
        ArgumentNullException.ThrowIfNull(op);
        var sb = new StringBuilder();
        sb.Append(op.Name).Append(" (").Append(op.Category).Append(")\n");
        sb.Append("  ").Append(op.Summary).Append("\n\n");
        sb.Append("inputs:\n");
        int w = op.Inputs.Select(s => s.Name.Length).Concat(op.Attributes.Select(a => a.Name.Length)).DefaultIfEmpty(0).Max();
        foreach (var s in op.Inputs)
            sb.Append("  ").Append(s.Name.PadRight(w)).Append("  ").Append(InputText(s)).Append('\n');
        sb.Append("attributes:");
        if (op.Attributes.Count == 0) sb.Append(" none\n");
        else
        {
            sb.Append('\n');
            foreach (var a in op.Attributes)
                sb.Append("  ").Append(a.Name.PadRight(w)).Append("  ").Append(AttributeText(a)).Append('\n');
        }
        sb.Append('\n');
        Field(sb, "forward", op.Formula);
        Field(sb, "backward", op.GradientFormula);
        Field(sb, "shape", op.ShapeRule);
        if (op.Convention is { } c) Field(sb, "convention", c);
        Field(sb, "onnx", OnnxText(op));
        if (op.HasKinkAtZero) Field(sb, "kink", KinkText);
        Field(sb, "example", op.Example);
        return sb.ToString();
    }

    private static void Field(StringBuilder sb, string label, string text) =>
        sb.Append((label + ":").PadRight(12)).Append(text).Append('\n');

    /// <summary>What a kink at zero means for gradient checks.</summary>
    public const string KinkText = "the derivative jumps where an input crosses 0; gradient checks skip elements whose perturbation crosses it";

    /// <summary>An input slot's doc and notes: "any tensor; a list of one or more values; no gradient; rank 2".</summary>
    public static string InputText(InputSlot s)
    {
        ArgumentNullException.ThrowIfNull(s);
        return string.Join("; ", new[] { s.Doc }.Concat(InputNotes(s).Where(n => !s.Doc.Contains(n, StringComparison.OrdinalIgnoreCase))));
    }

    /// <summary>The notes on an input beside its doc: list, no gradient, domain, rank.</summary>
    public static IEnumerable<string> InputNotes(InputSlot s)
    {
        ArgumentNullException.ThrowIfNull(s);
        if (s.Optional) yield return "optional";
        if (s.IsList) yield return "a list of one or more values";
        if (s.State) yield return "state: a parameter the op updates in training mode, not trained";
        else if (!s.Differentiable) yield return "no gradient";
        switch (s.Domain)
        {
            case ValueDomain.Positive: yield return "positive values"; break;
            case ValueDomain.Probability: yield return "values in (0, 1)"; break;
            case ValueDomain.ClassIndex: yield return "class indices 0..C-1 (whole numbers)"; break;
            case ValueDomain.Distribution: yield return "each row a probability distribution"; break;
        }
        if (RankText(s) is { } r) yield return r;
    }

    /// <summary>"a matrix", "rank 1 or more", "rank 0 to 2", or null when any rank goes.</summary>
    public static string? RankText(InputSlot s)
    {
        ArgumentNullException.ThrowIfNull(s);
        if (s.MinRank <= 0 && s.MaxRank >= Shape.MaxRank) return null;
        if (s.MinRank == s.MaxRank)
            return s.MinRank switch { 0 => "a scalar", 1 => "a vector", 2 => "a matrix", _ => $"rank {s.MinRank}" };
        if (s.MaxRank >= Shape.MaxRank) return $"rank {s.MinRank} or more";
        return s.MinRank <= 0 ? $"rank {s.MaxRank} at most" : $"rank {s.MinRank} to {s.MaxRank}";
    }

    /// <summary>"number >= 0, required: the regularization strength" or "flag, default false: use A transposed".</summary>
    public static string AttributeText(AttributeSpec a)
    {
        ArgumentNullException.ThrowIfNull(a);
        return $"{a.TypeText}, {DefaultText(a)}: {a.Doc}";
    }

    /// <summary>"default 1", "default false", "required".</summary>
    public static string DefaultText(AttributeSpec a)
    {
        ArgumentNullException.ThrowIfNull(a);
        return a.Default is { } d ? "default " + ValueText(a, d) : "required";
    }

    /// <summary>An attribute value as a spec writes it: 1, -1, [0, 1], mean, true.</summary>
    public static string ValueText(AttributeSpec a, AttributeValue v)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(v);
        return a.Type switch
        {
            AttributeType.Flag => v.Number != 0 ? "true" : "false",
            AttributeType.IntegerList => "[" + string.Join(", ", v.Integers) + "]",
            AttributeType.Enum => v.Text,
            _ => v.Number.ToString("R", CultureInfo.InvariantCulture),
        };
    }

    /// <summary>The op's ONNX forms in one line each, joined by "; ", or "none".</summary>
    public static string OnnxText(Op op)
    {
        ArgumentNullException.ThrowIfNull(op);
        var forms = op.OnnxForms.Select(FormText).ToList();
        if (op.WritesOwnOnnx) forms.Insert(0, "exported by the op's own ONNX writer");
        return forms.Count == 0 ? "none" : string.Join("; ", forms);
    }

    /// <summary>"Gemm (transB = 1; opset 13 and later)", "ReduceSum (keepdims = 0; import only)".</summary>
    public static string FormText(OnnxForm f)
    {
        ArgumentNullException.ThrowIfNull(f);
        var notes = new List<string>();
        notes.AddRange(f.Attributes.Where(a => a.Onnx != a.NetSpec).Select(a => $"{a.NetSpec} as {a.Onnx}"));
        notes.AddRange(f.Fixed.Select(x => $"{x.Onnx} = {x.Value}"));
        if (f.MinOpset > 1 || f.MaxOpset < int.MaxValue)
            notes.Add(f.MaxOpset == int.MaxValue ? $"opset {f.MinOpset} and later" : f.MinOpset <= 1 ? $"opset {f.MaxOpset} and earlier" : $"opset {f.MinOpset} to {f.MaxOpset}");
        if (f.ImportOnly) notes.Add("import only");
        if (f.Note is { } n) notes.Add(n);
        return notes.Count == 0 ? f.OpType : $"{f.OpType} ({string.Join("; ", notes)})";
    }

    /// <summary>The example node as a spec's network would hold it: <c>z: {op: relu, x: z}</c>.</summary>
    public static string ExampleYaml(Op op)
    {
        ArgumentNullException.ThrowIfNull(op);
        return "network:\n  y: " + op.Example + "\n";
    }

    // ---- Markdown ----

    /// <summary>A table cell: '|' escaped, line breaks as spaces.</summary>
    public static string Cell(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Replace("|", "\\|", StringComparison.Ordinal).Replace('\n', ' ');
    }

    /// <summary>README's op table: op, forward, backward.</summary>
    public static string SummaryTable(IEnumerable<Op> ops)
    {
        var sb = new StringBuilder("| op | category | forward | backward |\n|---|---|---|---|\n");
        foreach (var op in ops)
            sb.Append($"| `{op.Name}` | {Cell(op.Category)} | {Cell(op.Formula)} | {Cell(op.GradientFormula)} |\n");
        return sb.ToString();
    }

    /// <summary>The op table of docs/spec-format.md: op, inputs and attributes, forward, backward.</summary>
    public static string InputsTable(IEnumerable<Op> ops)
    {
        var sb = new StringBuilder("| op | inputs and attributes | forward | backward |\n|---|---|---|---|\n");
        foreach (var op in ops)
        {
            var keys = op.Inputs.Select(s => s.IsList ? $"`{s.Name}: [...]`" : $"`{s.Name}`")
                .Concat(op.Attributes.Select(a => a.Default is { } d ? $"`{a.Name}` (default {ValueText(a, d)})" : $"`{a.Name}`"));
            sb.Append($"| `{op.Name}` | {Cell(string.Join(", ", keys))} | {Cell(op.Formula)} | {Cell(op.GradientFormula)} |\n");
        }
        return sb.ToString();
    }

    /// <summary>The table of docs/ops.md: op (linking to its section), category, inputs, attributes, summary.</summary>
    public static string ReferenceTable(IEnumerable<Op> ops)
    {
        var sb = new StringBuilder("| op | category | inputs | attributes | what it computes |\n|---|---|---|---|---|\n");
        foreach (var op in ops)
        {
            string inputs = string.Join(", ", op.Inputs.Select(s => s.IsList ? $"`{s.Name}` (list)" : $"`{s.Name}`"));
            string attrs = string.Join(", ", op.Attributes.Select(a => $"`{a.Name}`"));
            sb.Append($"| [`{op.Name}`](#{Anchor(op.Name)}) | {Cell(op.Category)} | {inputs} | {attrs} | {Cell(op.Summary)} |\n");
        }
        return sb.ToString();
    }

    /// <summary>GitHub's heading anchor of a heading <c>`name`</c>.</summary>
    public static string Anchor(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.ToLowerInvariant();
    }

    /// <summary>One section per op (docs/ops.md), each as <see cref="Markdown"/> prints it.</summary>
    public static string Sections(IEnumerable<Op> ops) => string.Join("\n", ops.Select(Markdown));

    /// <summary>One op's section: summary, inputs, attributes, formulas, shape rule, convention, ONNX forms, example.</summary>
    public static string Markdown(Op op)
    {
        ArgumentNullException.ThrowIfNull(op);
        var sb = new StringBuilder();
        sb.Append("### `").Append(op.Name).Append("`\n\n");
        sb.Append(op.Summary).Append(" Category: ").Append(op.Category).Append(".\n\n");
        sb.Append("| input | what it is |\n|---|---|\n");
        foreach (var s in op.Inputs) sb.Append($"| `{s.Name}` | {Cell(InputText(s))} |\n");
        sb.Append('\n');
        if (op.Attributes.Count > 0)
        {
            sb.Append("| attribute | type | default | meaning |\n|---|---|---|---|\n");
            foreach (var a in op.Attributes)
                sb.Append($"| `{a.Name}` | {Cell(a.TypeText)} | {(a.Default is { } d ? $"`{ValueText(a, d)}`" : "required")} | {Cell(a.Doc)} |\n");
            sb.Append('\n');
        }
        sb.Append("- forward: ").Append(op.Formula).Append('\n');
        sb.Append("- backward: ").Append(op.GradientFormula).Append('\n');
        sb.Append("- shapes: ").Append(op.ShapeRule).Append('\n');
        if (op.Convention is { } c) sb.Append("- convention: ").Append(c).Append('\n');
        sb.Append("- ONNX: ").Append(OnnxText(op)).Append('\n');
        sb.Append("- PyTorch: ").Append(TorchForms.Describe(op)).Append('\n');
        if (op.HasKinkAtZero) sb.Append("- kink: ").Append(KinkText).Append('\n');
        sb.Append("\n```yaml\n").Append(ExampleYaml(op)).Append("```\n");
        return sb.ToString();
    }

    // ---- JSON ----

    /// <summary>One op as a JSON object (<c>netspec ops NAME --format json</c>).</summary>
    public static JsonObject Json(Op op)
    {
        ArgumentNullException.ThrowIfNull(op);
        return new JsonObject
        {
            ["name"] = op.Name,
            ["category"] = op.Category,
            ["summary"] = op.Summary,
            ["forward"] = op.Formula,
            ["backward"] = op.GradientFormula,
            ["shape"] = op.ShapeRule,
            ["convention"] = op.Convention,
            ["inputs"] = new JsonArray([.. op.Inputs.Select(s => (JsonNode)new JsonObject
            {
                ["name"] = s.Name,
                ["doc"] = s.Doc,
                ["list"] = s.IsList,
                ["differentiable"] = s.Differentiable && !s.State,
                ["state"] = s.State,
                ["domain"] = s.Domain.ToString().ToLowerInvariant(),
                ["min_rank"] = s.MinRank,
                ["max_rank"] = s.MaxRank,
            })]),
            ["attributes"] = new JsonArray([.. op.Attributes.Select(a => (JsonNode)new JsonObject
            {
                ["name"] = a.Name,
                ["type"] = a.TypeText,
                ["default"] = a.Default is { } d ? ValueText(a, d) : null,
                ["doc"] = a.Doc,
            })]),
            ["onnx"] = new JsonArray([.. op.OnnxForms.Select(f => (JsonNode)JsonValue.Create(FormText(f)))]),
            ["kink_at_zero"] = op.HasKinkAtZero,
            ["example"] = op.Example,
        };
    }

    /// <summary>Every op as a JSON array (<c>netspec ops --format json</c>).</summary>
    public static JsonArray Json(IEnumerable<Op> ops) => new([.. ops.Select(o => (JsonNode)Json(o))]);
}
