namespace NetSpec.Parser.Diagnostics;

/// <summary>The text of a spec file, split into lines for quoting in diagnostics.</summary>
public sealed class SourceText
{
    private readonly string[] _lines;

    public SourceText(string path, string text)
    {
        Path = path;
        Text = text;
        _lines = text.Split('\n');
    }

    public string Path { get; }
    public string Text { get; }

    /// <summary>Line <paramref name="line"/> (1-based) without its line break, or null.</summary>
    public string? Line(int line) =>
        line >= 1 && line <= _lines.Length ? _lines[line - 1].TrimEnd('\r') : null;
}
