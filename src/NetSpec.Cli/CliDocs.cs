using System.CommandLine;
using System.CommandLine.Completions;
using System.Globalization;
using System.Text;
using NetSpec.Runtime.Ops;

namespace NetSpec.Cli;

/// <summary>
/// The generated parts of docs/cli.md, from the command tree itself (<see cref="Program.BuildRoot()"/>):
/// the table of commands (region <c>cli-commands</c>) and, per command, its usage line,
/// description, arguments and options (region <c>cli-command NAME</c>), with the markers of
/// <see cref="GeneratedRegions"/>. The prose after each region is hand-written. A command that
/// has no section yet gets one (a heading and its region) above <see cref="Anchor"/>; a section
/// for a command that no longer exists is an error. <c>tools/update-generated.sh</c> rewrites the
/// file; a test fails while it is stale.
/// </summary>
internal static class CliDocs
{
    /// <summary>The file, relative to the repository root.</summary>
    public const string File = "docs/cli.md";

    /// <summary>Where sections of new commands are inserted.</summary>
    public const string Anchor = "<!-- new command sections are inserted above this line by tools/update-generated.sh -->";

    private const string CommandsRegion = "cli-commands";
    private const string CommandRegion = "cli-command ";
    private const string LimitsRegion = "cli-limits";

    /// <summary>Every visible command of the tree, depth first, as "run" or "a b" for a subcommand.</summary>
    public static IEnumerable<(string Path, Command Command)> Commands(Command root)
    {
        ArgumentNullException.ThrowIfNull(root);
        return Walk(root, "");

        static IEnumerable<(string, Command)> Walk(Command c, string prefix)
        {
            foreach (var sub in c.Subcommands.Where(s => !s.Hidden))
            {
                string path = prefix.Length == 0 ? sub.Name : $"{prefix} {sub.Name}";
                yield return (path, sub);
                foreach (var x in Walk(sub, path)) yield return x;
            }
        }
    }

    /// <summary>
    /// <paramref name="text"/> with every region rewritten from <paramref name="root"/> and a new
    /// section for every command without one. Throws <see cref="FormatException"/> for an unclosed
    /// region, an unknown one, or a section of a command that does not exist.
    /// </summary>
    public static string Update(string text, Command root)
    {
        ArgumentNullException.ThrowIfNull(text);
        var commands = Commands(root).ToList();
        var byName = commands.ToDictionary(c => c.Path, c => c.Command, StringComparer.Ordinal);
        var documented = new HashSet<string>(StringComparer.Ordinal);
        var sb = new StringBuilder();
        int at = 0;
        while (true)
        {
            int start = MarkerAt(text, GeneratedRegions.StartPrefix, at);
            if (start < 0) break;
            int nameEnd = text.IndexOf(GeneratedRegions.StartSuffix, start, StringComparison.Ordinal);
            if (nameEnd < 0) throw new FormatException($"a '{GeneratedRegions.StartPrefix}' marker at offset {start} is not closed by '{GeneratedRegions.StartSuffix}'");
            string name = text[(start + GeneratedRegions.StartPrefix.Length)..nameEnd];
            int bodyStart = nameEnd + GeneratedRegions.StartSuffix.Length;
            if (bodyStart < text.Length && text[bodyStart] == '\n') bodyStart++;
            int end = MarkerAt(text, GeneratedRegions.End, bodyStart);
            if (end < 0) throw new FormatException($"generated region '{name}' has no '{GeneratedRegions.End}'");
            string content;
            if (name == CommandsRegion) content = CommandTable(commands);
            else if (name == LimitsRegion) content = SharedOptions(root);
            else if (name.StartsWith(CommandRegion, StringComparison.Ordinal))
            {
                string command = name[CommandRegion.Length..];
                if (!byName.TryGetValue(command, out var c))
                    throw new FormatException($"{File} has a section for the command '{command}', which netspec does not have: delete the section");
                documented.Add(command);
                content = Section(command, c);
            }
            else throw new FormatException($"{File}: unknown generated region '{name}' (known: {CommandsRegion}, {LimitsRegion}, {CommandRegion}NAME)");
            sb.Append(text, at, bodyStart - at).Append(content).Append(GeneratedRegions.End);
            at = end + GeneratedRegions.End.Length;
        }
        sb.Append(text, at, text.Length - at);
        var missing = commands.Where(c => !documented.Contains(c.Path)).ToList();
        if (missing.Count == 0) return sb.ToString();
        string updated = sb.ToString();
        int anchor = MarkerAt(updated, Anchor, 0);
        if (anchor < 0) throw new FormatException($"{File} has no line '{Anchor}' to add the sections of {string.Join(", ", missing.Select(m => m.Path))} above");
        var added = new StringBuilder();
        foreach (var (path, c) in missing)
            added.Append(CultureInfo.InvariantCulture, $"## `netspec {path}`\n\n{GeneratedRegions.StartPrefix}{CommandRegion}{path}{GeneratedRegions.StartSuffix}\n{Section(path, c)}{GeneratedRegions.End}\n\n");
        return updated.Insert(anchor, added.ToString());
    }

    /// <summary>The commands that <see cref="Update"/> would change the section of (or add), for the staleness test's message.</summary>
    public static IReadOnlyList<string> StaleCommands(string text, Command root)
    {
        var now = Update(text, root);
        if (now == text) return [];
        var stale = new List<string>();
        foreach (var (path, c) in Commands(root))
        {
            string region = $"{GeneratedRegions.StartPrefix}{CommandRegion}{path}{GeneratedRegions.StartSuffix}\n{Section(path, c)}{GeneratedRegions.End}";
            if (!text.Contains(region, StringComparison.Ordinal)) stale.Add(path);
        }
        if (stale.Count == 0) stale.Add("(the table of commands)");
        return stale;
    }

    private static int MarkerAt(string text, string marker, int from)
    {
        for (int at = from; (at = text.IndexOf(marker, at, StringComparison.Ordinal)) >= 0; at++)
            if (at == 0 || text[at - 1] == '\n') return at;
        return -1;
    }

    private static string CommandTable(IEnumerable<(string Path, Command Command)> commands)
    {
        var sb = new StringBuilder("| command | what it does |\n|---|---|\n");
        foreach (var (path, c) in commands)
            sb.Append(CultureInfo.InvariantCulture, $"| [`netspec {Usage(path, c)}`](#netspec-{path.Replace(' ', '-')}) | {Cell(c.Description)} |\n");
        return sb.ToString();
    }

    /// <summary>"run &lt;spec&gt;", "check &lt;spec&gt;...", "test [folder]".</summary>
    internal static string Usage(string path, Command c)
    {
        var parts = new List<string> { path };
        foreach (var a in c.Arguments.Where(a => !a.Hidden))
        {
            string n = a.HelpName ?? a.Name;
            bool optional = a.Arity.MinimumNumberOfValues == 0 || a.HasDefaultValue;
            string many = a.Arity.MaximumNumberOfValues > 1 ? "..." : "";
            parts.Add(optional ? $"[{n}]{many}" : $"<{n}>{many}");
        }
        return string.Join(" ", parts);
    }

    /// <summary>A command's section: usage, description, arguments, options.</summary>
    internal static string Section(string path, Command c)
    {
        var sb = new StringBuilder();
        bool hasOptions = c.Options.Any(o => !o.Hidden);
        sb.Append(CultureInfo.InvariantCulture, $"\n    netspec {Usage(path, c)}{(hasOptions ? " [options]" : "")}\n\n{c.Description}\n");
        var arguments = c.Arguments.Where(a => !a.Hidden).ToList();
        if (arguments.Count > 0)
        {
            sb.Append("\n| argument | meaning |\n|---|---|\n");
            foreach (var a in arguments)
            {
                string d = a.HasDefaultValue && Value(a.GetDefaultValue()) is { } v ? $" (default: `{v}`)" : "";
                sb.Append(CultureInfo.InvariantCulture, $"| `{a.HelpName ?? a.Name}` | {Cell(a.Description)}{d} |\n");
            }
        }
        var own = c.Options.Where(o => !o.Hidden && !Shared(o)).ToList();
        var shared = c.Options.Where(o => !o.Hidden && Shared(o)).ToList();
        if (own.Count + shared.Count > 0)
        {
            sb.Append("\n| option | meaning | default |\n|---|---|---|\n");
            foreach (var o in own) sb.Append(CultureInfo.InvariantCulture, $"| {OptionText(o)} | {Cell(Meaning(o))} | {Default(o)} |\n");
            if (shared.Count > 0)
                sb.Append(CultureInfo.InvariantCulture, $"| {string.Join(", ", shared.Select(o => $"`{o.Name}`"))} | the input limits every command that reads specs takes: see [Input limits](#input-limits) | |\n");
        }
        return sb.ToString();
    }

    /// <summary>The table of the options several commands share (the input limits), from the first command that has them.</summary>
    internal static string SharedOptions(Command root)
    {
        var seen = new HashSet<Option>();
        var sb = new StringBuilder("| option | meaning | default |\n|---|---|---|\n");
        foreach (var (_, c) in Commands(root))
            foreach (var o in c.Options.Where(o => !o.Hidden && Shared(o) && seen.Add(o)))
                sb.Append(CultureInfo.InvariantCulture, $"| {OptionText(o)} | {Cell(Meaning(o))} | {Default(o)} |\n");
        return sb.ToString();
    }

    /// <summary>An option object added to more than one command: one of the shared input limits.</summary>
    private static bool Shared(Option o) => o.Parents.Count() > 1;

    /// <summary>"`--full-limit N`, `-q`".</summary>
    private static string OptionText(Option o)
    {
        string value = o.ValueType == typeof(bool) ? "" : $" <{o.HelpName ?? o.Name.TrimStart('-')}>";
        return string.Join(", ", new[] { $"`{o.Name}{value}`" }.Concat(o.Aliases.Order(StringComparer.Ordinal).Select(a => $"`{a}`")));
    }

    /// <summary>The description, and the values a string option accepts when it has a fixed list.</summary>
    private static string Meaning(Option o)
    {
        string d = o.Description ?? "";
        if (o.ValueType != typeof(string)) return d;
        var choices = o.GetCompletions(CompletionContext.Empty).Select(x => x.Label).ToList();
        return choices.Count > 0 ? $"{d} (one of: {string.Join(", ", choices)})" : d;
    }

    private static string Default(Option o) =>
        o.Required ? "required" : o.HasDefaultValue && Value(o.GetDefaultValue()) is { } v && !(o.ValueType == typeof(bool) && v == "false") ? $"`{v}`" : "";

    private static string? Value(object? v) => v switch
    {
        null => null,
        bool b => b ? "true" : "false",
        double d => d.ToString("G", CultureInfo.InvariantCulture).Replace("E-0", "e-", StringComparison.Ordinal).Replace("E+0", "e+", StringComparison.Ordinal).Replace('E', 'e'),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        string s => s,
        System.Collections.IEnumerable e => string.Join(" ", e.Cast<object>().Select(x => Value(x))),
        _ => v.ToString(),
    };

    /// <summary>Text in a table cell: bars, angle brackets and stars escaped (input_&lt;j&gt;.pb, *.yaml), one line.</summary>
    private static string Cell(string? s) => (s ?? "").Replace("|", "\\|", StringComparison.Ordinal).Replace("<", "\\<", StringComparison.Ordinal)
        .Replace(">", "\\>", StringComparison.Ordinal).Replace("*", "\\*", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);
}
