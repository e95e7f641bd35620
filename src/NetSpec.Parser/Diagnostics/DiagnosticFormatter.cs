using System.Text;

namespace NetSpec.Parser.Diagnostics;

/// <summary>
/// Renders a diagnostic the way compilers do: the located message, then the source line and a
/// caret under the span.
/// <code>
/// specs/lab07.yaml:14:11: error NS0104: unknown op 'reul' in node 'h'; did you mean 'relu'?
///    14 |   h: {op: reul, x: z}
///       |           ^^^^
/// </code>
/// </summary>
public static class DiagnosticFormatter
{
    public static string Format(Diagnostic d, SourceText? source)
    {
        var sb = new StringBuilder(d.ToString());
        if (source is null || !d.Span.HasPosition || d.Span.File != source.Path) return sb.ToString();
        var line = source.Line(d.Span.Line);
        if (line is null) return sb.ToString();
        const int maxWidth = 160;
        int start = 0;
        if (line.Length > maxWidth && d.Span.Column > maxWidth / 2)
            start = Math.Min(d.Span.Column - maxWidth / 2, line.Length - maxWidth);
        string shown = line.Length - start > maxWidth ? line.Substring(start, maxWidth) : line[start..];
        shown = Printable(shown);
        string number = d.Span.Line.ToString(System.Globalization.CultureInfo.InvariantCulture);
        string gutter = new(' ', Math.Max(5, number.Length + 1));
        sb.Append('\n').Append(number.PadLeft(gutter.Length)).Append(" | ").Append(shown);
        int col = Math.Max(1, d.Span.Column - start);
        int width = d.Span.EndLine == d.Span.Line && d.Span.EndColumn > d.Span.Column
            ? d.Span.EndColumn - d.Span.Column
            : 1;
        width = Math.Max(1, Math.Min(width, Math.Max(1, shown.Length - col + 1)));
        sb.Append('\n').Append(gutter).Append(" | ").Append(new string(' ', col - 1)).Append(new string('^', width));
        return sb.ToString();
    }

    private static string Printable(string s)
    {
        var sb = new StringBuilder(s.Length);
        foreach (var ch in s)
            sb.Append(ch == '\t' ? ' ' : char.IsControl(ch) ? '?' : ch);
        return sb.ToString();
    }
}
