namespace NetSpec.Parser.Diagnostics;

/// <summary>The text of a spec file, split into lines for quoting in diagnostics.</summary>
/// <remarks>
/// Lines break where YamlDotNet counts a line break (YAML 1.1): "\r\n", "\r", "\n", U+0085,
/// U+2028 and U+2029, so a diagnostic's line number always names the line it quotes.
/// </remarks>
public sealed class SourceText
{
    private readonly List<(int Start, int Length)> _lines = [];

    public SourceText(string path, string text)
    {
        Path = path;
        Text = text;
        int start = 0;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c is not ('\n' or '\r' or '\u0085' or '\u2028' or '\u2029')) continue;
            _lines.Add((start, i - start));
            if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n') i++;
            start = i + 1;
        }
        _lines.Add((start, text.Length - start));
    }

    public string Path { get; }
    public string Text { get; }

    /// <summary>How many lines the text has (a final line break starts an empty last line).</summary>
    public int LineCount => _lines.Count;

    /// <summary>Line <paramref name="line"/> (1-based) without its line break, or null.</summary>
    public string? Line(int line) =>
        line >= 1 && line <= _lines.Count ? Text.Substring(_lines[line - 1].Start, _lines[line - 1].Length) : null;
}
