using System.Text;

namespace NetSpec.Cli.Report;

/// <summary>HTML escaping for the report's text and attribute values.</summary>
internal static class Html
{
    /// <summary>Text content: <c>&lt; &gt; &amp;</c> escaped.</summary>
    public static string Text(string s)
    {
        var sb = new StringBuilder(s.Length);
        foreach (char c in s)
            sb.Append(c switch { '<' => "&lt;", '>' => "&gt;", '&' => "&amp;", _ => c.ToString() });
        return sb.ToString();
    }

    /// <summary>A double-quoted attribute value: quotes escaped as well.</summary>
    public static string Attr(string s) => Text(s).Replace("\"", "&quot;", StringComparison.Ordinal).Replace("'", "&#39;", StringComparison.Ordinal);
}
