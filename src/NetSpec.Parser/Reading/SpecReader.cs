using System.Globalization;
using NetSpec.Parser.Diagnostics;
using NetSpec.Parser.Model;
using NetSpec.Parser.Yaml;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace NetSpec.Parser.Reading;

/// <summary>
/// Reads the values of one spec with their positions and reports each mistake with one message:
/// mappings and their known keys, text, choices from a closed list, booleans, seeds, numbers and
/// hyperparameter references, paths, and the names the spec declares. It holds what the parse
/// has learned so far (declared names, hyperparameters, the element count); every section reads
/// through it.
/// </summary>
internal sealed class SpecReader
{
    private readonly DiagnosticBag _d;
    private readonly SourceText? _source;
    private readonly Dictionary<string, Hyperparameter> _hyper = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SourceSpan> _names = new(StringComparer.Ordinal);
    private long _elements;

    public SpecReader(string path, ParserLimits limits, DiagnosticBag diagnostics, SourceText? source)
    {
        Path = path;
        Limits = limits;
        _d = diagnostics;
        _source = source;
    }

    /// <summary>The spec's path, as diagnostics name it.</summary>
    public string Path { get; }

    public ParserLimits Limits { get; }

    /// <summary>Names whose declaration was refused with a diagnostic (see <see cref="SpecDocument.InvalidNames"/>).</summary>
    public HashSet<string> Invalid { get; } = new(StringComparer.Ordinal);

    /// <summary>Top-level sections written but not read (see <see cref="SpecDocument.UnreadSections"/>).</summary>
    public HashSet<string> Unread { get; } = new(StringComparer.Ordinal);

    public SourceSpan Span(YamlNode node)
    {
        var span = YamlNodes.Span(Path, node);
        if (_source is null || span.Line <= _source.LineCount) return span;
        // An empty value at the very end of a text without a final line break is placed a line past it.
        int line = _source.LineCount, col = _source.Line(line)!.Length + 1;
        return new SourceSpan(Path, line, col, line, col);
    }

    public void Error(string code, SourceSpan at, string message) => _d.Error(code, at, message);

    public void Error(string code, YamlNode at, string message) => _d.Error(code, Span(at), message);

    /// <summary>The mapping's entries with scalar keys; any other key is reported.</summary>
    public List<(string Key, YamlScalarNode KeyNode, YamlNode Value)> Entries(YamlMappingNode map) =>
        YamlNodes.Entries(Path, map, _d);

    /// <summary>
    /// The entries of <paramref name="map"/>, whose keys must come from <paramref name="allowed"/>;
    /// any other is reported as unknown in <paramref name="where"/>, with the closest known key.
    /// </summary>
    /// <paramref name="outline"/>: the keys are the spec's sections, and an unknown one is listed
    /// before every other diagnostic (see <see cref="Diagnostic.Outline"/>).
    public Fields Fields(YamlMappingNode map, string[] allowed, string where, bool outline = false)
    {
        var entries = new Dictionary<string, Field>(StringComparer.Ordinal);
        var misspelled = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (key, keyNode, value) in Entries(map))
        {
            if (Array.IndexOf(allowed, key) < 0)
            {
                string message = $"unknown key '{YamlNodes.Clip(key)}' in {where}{Suggest.DidYouMean(key, allowed)}";
                if (outline) _d.OutlineError(Codes.UnknownKey, Span(keyNode), message);
                else Error(Codes.UnknownKey, keyNode, message);
                if (Suggest.Closest(key, allowed) is { } meant) misspelled.Add(meant);
                continue;
            }
            entries[key] = new Field(keyNode, value);
        }
        return new Fields(this, map, entries, misspelled);
    }

    /// <summary>A section: <paramref name="node"/> must be a mapping (<paramref name="what"/> names it) with keys from <paramref name="allowed"/>.</summary>
    public Fields? Section(YamlNode node, string what, string[] allowed) =>
        Mapping(node, what) is { } map ? Fields(map, allowed, what) : null;

    public YamlMappingNode? Mapping(YamlNode node, string what)
    {
        if (node is YamlMappingNode m) return m;
        Error(Codes.WrongType, node, $"{what} must be a mapping, not {YamlNodes.Describe(node)}");
        return null;
    }

    public string? Text(YamlNode node, string what)
    {
        if (node is YamlScalarNode s && !YamlNodes.IsNull(s)) return s.Value;
        Error(Codes.WrongType, node, $"'{what}' must be text, not {YamlNodes.Describe(node)}");
        return null;
    }

    /// <summary>Text that must be one of <paramref name="known"/>: "unknown <paramref name="kind"/> 'x'; did you mean ...".</summary>
    public NameRef? Choice(YamlNode node, string what, string kind, string[] known)
    {
        if (Text(node, what) is not { } text) return null;
        if (Array.IndexOf(known, text) >= 0) return new NameRef(text, Span(node));
        Error(Codes.InvalidValue, node, $"unknown {kind} '{YamlNodes.Clip(text)}'{Suggest.DidYouMean(text, known)} (known: {string.Join(", ", known)})");
        return null;
    }

    public bool Bool(YamlNode node, string what, out bool value)
    {
        value = false;
        if (node is YamlScalarNode s && s.Style == ScalarStyle.Plain)
        {
            switch (s.Value)
            {
                case "true" or "True" or "TRUE": value = true; return true;
                case "false" or "False" or "FALSE": return true;
            }
        }
        Error(Codes.WrongType, node, $"'{what}' is true or false, not {YamlNodes.Describe(node)}");
        return false;
    }

    /// <summary>A random seed: a non-negative integer written as digits.</summary>
    public bool Seed(YamlNode node, out ulong seed)
    {
        if (node is YamlScalarNode s && ulong.TryParse(s.Value, NumberStyles.None, CultureInfo.InvariantCulture, out seed)) return true;
        seed = 0;
        Error(Codes.InvalidValue, node, $"a seed is a non-negative integer, not {YamlNodes.Describe(node)}");
        return false;
    }

    /// <summary>A count written as digits (no sign, no hyperparameter); the caller reports a failure in its own words.</summary>
    public static bool TryDigits(YamlNode node, out int value)
    {
        value = 0;
        return node is YamlScalarNode s && int.TryParse(s.Value, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>Declares a hyperparameter, which <see cref="Number"/> then resolves by name.</summary>
    public void Define(Hyperparameter h) => _hyper[h.Name] = h;

    /// <summary>A number written literally or as a hyperparameter name.</summary>
    public NumberValue? Number(YamlNode node, string what)
    {
        if (node is YamlScalarNode s)
        {
            if (YamlNodes.TryNumber(s, out var x)) return new NumberValue(x, null, Span(s));
            if (s.Style == ScalarStyle.Plain && s.Value is { Length: > 0 } name && Names.IsValid(name))
            {
                if (_hyper.TryGetValue(name, out var h)) return new NumberValue(h.Value, name, Span(s));
                if (Invalid.Contains(name) || Invalid.Contains(SpecDocument.AnyHyperparameter)) return null; // its definition is already reported
                Error(Codes.UnknownHyperparameter, s, $"{what} names '{name}', which is not a hyperparameter{Suggest.DidYouMean(name, _hyper.Keys)}");
                return null;
            }
        }
        Error(Codes.NotANumber, node, $"{what} must be a number or a hyperparameter name, not {YamlNodes.Describe(node)}");
        return null;
    }

    /// <summary>A whole number in [min, max], written literally or as a hyperparameter name.</summary>
    public bool WholeNumber(YamlNode node, string what, int min, int max, out int value)
    {
        value = min;
        if (Number(node, $"'{what}'") is not { } n) return false;
        if (n.Value >= min && n.Value <= max && Math.Floor(n.Value) == n.Value)
        {
            value = (int)n.Value;
            return true;
        }
        Error(what is "epochs" or "batch_size" ? Codes.BadSteps : Codes.InvalidValue, n.Span,
            $"'{what}' must be a whole number >= {min}{(max < int.MaxValue ? $" and <= {max}" : "")}, not {n}");
        return false;
    }

    /// <summary>A file path relative to the spec; it may not leave the spec's folder unless the limits allow it.</summary>
    public PathRef? RelativePath(YamlNode node, string what)
    {
        if (Text(node, what) is not { } text) return null;
        if (text.Length == 0 || text.IndexOfAny(['\0', '\n', '\r']) >= 0)
        {
            Error(Codes.InvalidValue, node, $"'{what}' is not a usable file path");
            return null;
        }
        if (!Limits.AllowOutsidePaths)
        {
            string folder = System.IO.Path.GetFullPath(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path)) ?? ".");
            string full = System.IO.Path.GetFullPath(System.IO.Path.Combine(folder, text));
            string prefix = folder.EndsWith(System.IO.Path.DirectorySeparatorChar) ? folder : folder + System.IO.Path.DirectorySeparatorChar;
            if (System.IO.Path.IsPathRooted(text) || !full.StartsWith(prefix, StringComparison.Ordinal))
            {
                Error(Codes.PathOutsideSpec, node,
                    $"'{what}' points outside the spec's folder ({YamlNodes.Clip(text)}); paths are relative to the spec and stay below it (--allow-outside-paths lifts this)");
                return null;
            }
            // The text stays inside; a symbolic link on the way (to the file, or a folder) must too.
            if (!Files.RealPath.IsInside(full, folder))
            {
                Error(Codes.PathOutsideSpec, node,
                    $"'{what}' ({YamlNodes.Clip(text)}) leads outside the spec's folder through a symbolic link (to {YamlNodes.Clip(Files.RealPath.Of(full) ?? "a loop of links")}); paths stay below the spec's folder (--allow-outside-paths lifts this)");
                return null;
            }
        }
        return new PathRef(text, Span(node));
    }

    /// <summary>
    /// Declares a value's name (data, parameters and nodes share one namespace); false, reported,
    /// when it is not a valid name or already taken.
    /// </summary>
    public bool Declare(string name, YamlScalarNode at, string kind)
    {
        var span = Span(at);
        if (!Names.IsValid(name))
        {
            Error(Codes.InvalidName, span, $"'{YamlNodes.Clip(name)}' is not a valid {kind} name: use letters, digits and '_', starting with a letter or '_'");
            return false;
        }
        if (_names.TryGetValue(name, out var first))
        {
            Error(Codes.DuplicateName, span, $"the name '{name}' is already used at line {first.Line}; data, parameters and nodes share one namespace");
            return false;
        }
        _names[name] = span;
        return true;
    }

    /// <summary>
    /// Whether a declaration is kept: its name was <paramref name="declared"/> and its value
    /// <paramref name="read"/>. Otherwise the name is marked invalid, unless the value was read
    /// and the name belongs to an earlier declaration.
    /// </summary>
    public bool Keep(string name, bool declared, bool read)
    {
        if (declared && read) return true;
        if (!_names.ContainsKey(name) || !read) Invalid.Add(name);
        return false;
    }

    /// <summary>Whether some declaration took <paramref name="name"/>.</summary>
    public bool IsDeclared(string name) => _names.ContainsKey(name);

    /// <summary>Adds to the spec's element count; false (reported once) when it passes the limit.</summary>
    public bool CountElements(long n, SourceSpan at)
    {
        long before = _elements;
        _elements = _elements > long.MaxValue - n ? long.MaxValue : _elements + n;
        if (before <= Limits.MaxElements && _elements > Limits.MaxElements)
            Error(Codes.TooManyElements, at, $"the spec declares more than {Limits.MaxElements} tensor elements (--max-elements raises the limit)");
        return _elements <= Limits.MaxElements;
    }
}
