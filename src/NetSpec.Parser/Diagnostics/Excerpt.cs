using System.Text;
using System.Text.RegularExpressions;

namespace NetSpec.Parser.Diagnostics;

/// <summary>
/// The one way a message quotes input (a name, a cell, a scalar, a library's message about a
/// file): a short excerpt, cut with "..." past <see cref="MaxLength"/> characters, so a hostile
/// file is never echoed whole.
/// </summary>
public static partial class Excerpt
{
    /// <summary>The longest excerpt quoted, "..." included.</summary>
    public const int MaxLength = 40;

    /// <summary>The longest library message (a JSON or CSV reader's) a diagnostic carries.</summary>
    public const int MaxMessageLength = 200;

    /// <summary><paramref name="s"/>, cut to <see cref="MaxLength"/> characters with "..." when longer.</summary>
    public static string Clip(string s) => s.Length <= MaxLength ? s : s[..(MaxLength - 3)] + "...";

    /// <summary>The longest path quoted, "..." included: a path's end (the file's name) is what tells it apart.</summary>
    public const int MaxPathLength = 80;

    /// <summary><paramref name="path"/>, its start cut with "..." when longer than <see cref="MaxPathLength"/>; control characters written as \uXXXX.</summary>
    public static string ClipPath(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string p = path.Length <= MaxPathLength ? path : "..." + path[^(MaxPathLength - 3)..];
        if (!p.Any(char.IsControl)) return p;
        var b = new StringBuilder();
        foreach (char c in p) b.Append(char.IsControl(c) ? $"\\u{(int)c:X4}" : c);
        return b.ToString();
    }

    /// <summary>
    /// A library's message that may quote the input it failed on: each quoted part clipped, control
    /// characters (newlines too) written as \uXXXX, the whole cut to <see cref="MaxMessageLength"/>.
    /// </summary>
    public static string Message(string message)
    {
        string clipped = Quoted().Replace(message, m => m.Value[0] + Clip(m.Value[1..^1]) + m.Value[^1]);
        var b = new StringBuilder(Math.Min(clipped.Length, MaxMessageLength + 8));
        foreach (char c in clipped)
        {
            if (b.Length >= MaxMessageLength) return b.ToString(0, MaxMessageLength - 3) + "...";
            if (char.IsControl(c)) b.Append($"\\u{(int)c:X4}");
            else b.Append(c);
        }
        return b.Length <= MaxMessageLength ? b.ToString() : b.ToString(0, MaxMessageLength - 3) + "...";
    }

    [GeneratedRegex("'[^'\\n]{41,}'|\"[^\"\\n]{41,}\"")]
    private static partial Regex Quoted();
}
