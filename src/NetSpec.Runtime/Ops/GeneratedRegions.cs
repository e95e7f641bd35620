using System.Text;

namespace NetSpec.Runtime.Ops;

/// <summary>
/// The generated regions of the docs: between <c>&lt;!-- generated: NAME --&gt;</c> and
/// <c>&lt;!-- end generated --&gt;</c>, each at the start of a line, a Markdown file holds what <see cref="Content"/> prints for
/// NAME; the prose around a region is hand-written. <c>tools/update-generated.sh</c> rewrites
/// the regions of <see cref="Files"/> (and docs/netspec.schema.json, see <see cref="OpSchema"/>);
/// a test checks they are current.
/// </summary>
public static class GeneratedRegions
{
    /// <summary>The files, relative to the repository root, that hold generated regions.</summary>
    public static readonly string[] Files = ["README.md", "docs/ops.md", "docs/spec-format.md"];

    /// <summary>The command that rewrites every generated file, for messages.</summary>
    public const string UpdateCommand = "tools/update-generated.sh";

    public const string StartPrefix = "<!-- generated: ";
    public const string StartSuffix = " -->";
    public const string End = "<!-- end generated -->";

    /// <summary>The region names and what each holds.</summary>
    public static readonly IReadOnlyDictionary<string, string> Regions = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["ops-summary"] = "README.md: op, category, forward and backward formulas",
        ["ops-inputs"] = "docs/spec-format.md: op, inputs and attributes, forward, backward",
        ["ops-table"] = "docs/ops.md: op, category, inputs, attributes, what it computes",
        ["ops-sections"] = "docs/ops.md: one section per op",
    };

    /// <summary>The text of region <paramref name="name"/> for <paramref name="ops"/>.</summary>
    public static string Content(string name, IEnumerable<Op> ops) => name switch
    {
        "ops-summary" => OpCatalog.SummaryTable(ops),
        "ops-inputs" => OpCatalog.InputsTable(ops),
        "ops-table" => OpCatalog.ReferenceTable(ops),
        "ops-sections" => OpCatalog.Sections(ops),
        _ => throw new ArgumentException($"no generated region '{name}' (known: {string.Join(", ", Regions.Keys)})", nameof(name)),
    };

    /// <summary>
    /// <paramref name="text"/> with every generated region's content replaced by
    /// <see cref="Content"/>; the markers and everything outside them unchanged. A start marker
    /// without its end, or an unknown region name, is an error.
    /// </summary>
    public static string Update(string text, IEnumerable<Op> ops)
    {
        ArgumentNullException.ThrowIfNull(text);
        var list = ops.ToList();
        var sb = new StringBuilder();
        int at = 0;
        while (true)
        {
            int start = MarkerAt(text, StartPrefix, at);
            if (start < 0) break;
            int nameEnd = text.IndexOf(StartSuffix, start, StringComparison.Ordinal);
            if (nameEnd < 0) throw new FormatException($"a '{StartPrefix}' marker at offset {start} is not closed by '{StartSuffix}'");
            string name = text[(start + StartPrefix.Length)..nameEnd];
            int bodyStart = nameEnd + StartSuffix.Length;
            if (bodyStart < text.Length && text[bodyStart] == '\n') bodyStart++;
            int end = MarkerAt(text, End, bodyStart);
            if (end < 0) throw new FormatException($"generated region '{name}' has no '{End}'");
            sb.Append(text, at, bodyStart - at);
            sb.Append(Content(name, list));
            at = end;
            sb.Append(End);
            at += End.Length;
        }
        sb.Append(text, at, text.Length - at);
        return sb.ToString();
    }

    /// <summary>The next <paramref name="marker"/> from <paramref name="from"/> that starts a line, or -1.</summary>
    private static int MarkerAt(string text, string marker, int from)
    {
        for (int at = from; (at = text.IndexOf(marker, at, StringComparison.Ordinal)) >= 0; at++)
            if (at == 0 || text[at - 1] == '\n') return at;
        return -1;
    }

    /// <summary>The names of the regions in <paramref name="text"/>, in order.</summary>
    public static IEnumerable<string> Names(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int at = 0;
        while ((at = MarkerAt(text, StartPrefix, at)) >= 0)
        {
            int nameEnd = text.IndexOf(StartSuffix, at, StringComparison.Ordinal);
            if (nameEnd < 0) yield break;
            yield return text[(at + StartPrefix.Length)..nameEnd];
            at = nameEnd;
        }
    }
}
