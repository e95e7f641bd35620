namespace NetSpec.Parser.Files;

/// <summary>
/// Where a path really leads: every symbolic link along it followed, for the parts that exist
/// (a file that is yet to be written resolves through its existing folders). Containment and
/// "does this output overwrite an input" are decided on these paths, not on the text written.
/// </summary>
public static class RealPath
{
    private const int MaxLinks = 40; // as the kernel's ELOOP limit

    /// <summary>The absolute path <paramref name="path"/> leads to, links followed; null when the links loop.</summary>
    public static string? Of(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string full = Path.GetFullPath(path);
        string root = Path.GetPathRoot(full) ?? "/";
        var parts = new Queue<string>(full[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries));
        string current = root;
        int links = 0;
        while (parts.Count > 0)
        {
            string part = parts.Dequeue();
            if (part == ".") continue;
            if (part == "..")
            {
                current = Path.GetDirectoryName(current) ?? root;
                continue;
            }
            string next = Path.Combine(current, part);
            FileSystemInfo info = new FileInfo(next);
            string? target = null;
            try
            {
                target = info.LinkTarget;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // unreadable: take the path as written
            }
            if (target is null)
            {
                current = next;
                continue;
            }
            if (++links > MaxLinks) return null;
            // A link's target is read relative to the folder holding the link; its parts come before the rest.
            string resolved = Path.GetFullPath(Path.IsPathRooted(target) ? target : Path.Combine(current, target));
            var rest = parts.ToArray();
            string resolvedRoot = Path.GetPathRoot(resolved) ?? root;
            parts = new Queue<string>(resolved[resolvedRoot.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries).Concat(rest));
            current = resolvedRoot;
        }
        return current;
    }

    /// <summary>Whether <paramref name="path"/> really lies inside <paramref name="folder"/> (both resolved).</summary>
    public static bool IsInside(string path, string folder)
    {
        if (Of(path) is not { } p || Of(folder) is not { } f) return false;
        string prefix = f.EndsWith(Path.DirectorySeparatorChar) ? f : f + Path.DirectorySeparatorChar;
        return p.StartsWith(prefix, StringComparison.Ordinal);
    }

    /// <summary>Whether two paths lead to the same file (links followed).</summary>
    public static bool Same(string a, string b) => Of(a) is { } x && Of(b) is { } y && string.Equals(x, y, StringComparison.Ordinal);
}
