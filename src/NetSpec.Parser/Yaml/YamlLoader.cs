using System.Text;
using NetSpec.Parser.Diagnostics;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace NetSpec.Parser.Yaml;

/// <summary>
/// Reads a spec file into a YAML node tree, refusing with a positioned diagnostic anything that
/// could crash, hang or exhaust the process: oversized, empty or binary files, YAML syntax
/// errors, deep nesting, alias bombs, overlong strings and tags.
/// </summary>
/// <remarks>
/// YamlDotNet's <see cref="YamlStream"/> recurses once per nesting level and has no alias limit,
/// so every document is first pre-scanned with the event-level <see cref="YamlDotNet.Core.Parser"/>,
/// which is iterative: depth and the node count after alias expansion are checked there.
/// </remarks>
public static class YamlLoader
{
    public sealed record Result(SourceText? Source, YamlNode? Root);

    /// <summary>Reads and loads <paramref name="path"/>; on failure Root is null and diagnostics say why.</summary>
    public static Result LoadFile(string path, ParserLimits limits, DiagnosticBag diagnostics)
    {
        var none = SourceSpan.None(path);
        byte[] bytes;
        try
        {
            if (Directory.Exists(path))
            {
                diagnostics.Error(Codes.FileUnreadable, none, $"'{path}' is a directory, not a spec file");
                return new(null, null);
            }
            var info = new FileInfo(path);
            if (!info.Exists && info.LinkTarget is null)
            {
                diagnostics.Error(Codes.FileNotFound, none, $"spec file '{path}' does not exist");
                return new(null, null);
            }
            if (Files.SafeFile.NotRegular(path) is { } why)
            {
                diagnostics.Error(Codes.FileUnreadable, none, $"'{Excerpt.Clip(path)}' {why}: a spec must be a regular file");
                return new(null, null);
            }
            if (info.Length > limits.MaxFileBytes)
            {
                diagnostics.Error(Codes.FileTooLarge, none,
                    $"spec file is {info.Length} bytes, more than the limit of {limits.MaxFileBytes} (--max-file-bytes)");
                return new(null, null);
            }
            try
            {
                bytes = Files.SafeFile.ReadAllBytes(path, limits.MaxFileBytes);
            }
            catch (Files.RefusedFileException e)
            {
                // Grown past the limit while being read, or replaced by a device after the type check.
                diagnostics.Error(e.TooLarge ? Codes.FileTooLarge : Codes.FileUnreadable, none,
                    e.TooLarge ? $"spec file has more than {limits.MaxFileBytes} bytes, the limit (--max-file-bytes)" : e.Message);
                return new(null, null);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.SecurityException)
        {
            diagnostics.Error(Codes.FileUnreadable, none, $"cannot read '{path}': {e.Message}");
            return new(null, null);
        }
        if (bytes.Length > limits.MaxFileBytes)
        {
            diagnostics.Error(Codes.FileTooLarge, none,
                $"spec file is {bytes.Length} bytes, more than the limit of {limits.MaxFileBytes} (--max-file-bytes)");
            return new(null, null);
        }
        return LoadBytes(path, bytes, limits, diagnostics);
    }

    /// <summary>Loads spec text given as bytes (UTF-8, optional BOM).</summary>
    public static Result LoadBytes(string path, byte[] bytes, ParserLimits limits, DiagnosticBag diagnostics)
    {
        var none = SourceSpan.None(path);
        string text;
        try
        {
            text = new UTF8Encoding(false, true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            diagnostics.Error(Codes.NotText, none, "the file is not UTF-8 text (is it a binary file?)");
            return new(null, null);
        }
        if (text.Length > 0 && text[0] == '\uFEFF') text = text[1..];
        int nul = text.IndexOf('\0', StringComparison.Ordinal);
        if (nul >= 0)
        {
            diagnostics.Error(Codes.NotText, SpanAtOffset(path, text, nul), "the file contains NUL characters (is it a binary file?)");
            return new(new SourceText(path, text), null);
        }
        return LoadText(path, text, limits, diagnostics);
    }

    /// <summary>Loads spec text.</summary>
    public static Result LoadText(string path, string text, ParserLimits limits, DiagnosticBag diagnostics)
    {
        var source = new SourceText(path, text);
        int before = diagnostics.Items.Count;
        var events = new List<ParsingEvent>();
        bool hasDocument = PreScan(source, limits, diagnostics, events);
        if (diagnostics.Items.Count > before)
            return new(source, null);
        if (!hasDocument)
        {
            diagnostics.Error(Codes.FileEmpty, new SourceSpan(path, 1, 1, 1, 1), "the spec file has no content");
            return new(source, null);
        }
        try
        {
            // The pre-scan's events, not a second parse of the text.
            var stream = new YamlStream();
            stream.Load(new Replay(events));
            var root = stream.Documents[0].RootNode;
            return new(source, root);
        }
        catch (YamlException e)
        {
            AddYamlError(source, e, diagnostics);
            return new(source, null);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            // The pre-scan refuses every input known to get here; this keeps any other one a
            // diagnostic rather than a crash.
            diagnostics.Error(Codes.YamlSyntax, new SourceSpan(path, 1, 1, 1, 1), $"the YAML could not be loaded: {e.Message}");
            return new(source, null);
        }
    }

    /// <summary>One open collection during the pre-scan.</summary>
    private sealed class Frame(string? anchor, Mark start, bool flow, bool mapping)
    {
        public string? Anchor { get; } = anchor;
        public Mark Start { get; } = start;
        public bool Flow { get; } = flow;
        public bool Mapping { get; } = mapping;
        /// <summary>Nodes in this collection after alias expansion, itself included.</summary>
        public long Count { get; set; } = 1;
        /// <summary>Direct children: keys and values alternate in a mapping.</summary>
        public int Children { get; set; }
        public Mark LastKey { get; set; }
    }

    /// <summary>The events of one parse, handed to the representation model as a parser would.</summary>
    private sealed class Replay(List<ParsingEvent> events) : IParser
    {
        private int _next;

        public ParsingEvent? Current { get; private set; }

        public bool MoveNext()
        {
            if (_next == events.Count)
            {
                Current = null;
                return false;
            }
            Current = events[_next++];
            return true;
        }
    }

    /// <summary>
    /// Reads the whole event stream once, refusing what the loader would crash or hang on (alias
    /// bombs, depth, long strings, tags, a second document), and keeps the events in
    /// <paramref name="events"/> for the representation model.
    /// </summary>
    private static bool PreScan(SourceText source, ParserLimits limits, DiagnosticBag diagnostics, List<ParsingEvent> events)
    {
        var path = source.Path;
        var parser = new YamlDotNet.Core.Parser(new StringReader(source.Text));
        var anchorSizes = new Dictionary<string, long>(StringComparer.Ordinal);
        var frames = new Stack<Frame>();
        long expanded = 0;
        int documents = 0;
        int maxDepth = Math.Clamp(limits.MaxDepth, 1, ParserLimits.DepthCeiling);
        Mark last = Mark.Empty;
        // Counts nodes as they would be after alias expansion; reports once the limit is passed.
        bool TooMany(long size, ParsingEvent ev, string message)
        {
            expanded = expanded > long.MaxValue - size ? long.MaxValue : expanded + size;
            if (expanded <= limits.MaxNodes) return false;
            diagnostics.Error(Codes.AliasExpansion, Span(path, ev.Start, ev.End), message);
            return true;
        }

        try
        {
            while (parser.MoveNext())
            {
                var ev = parser.Current!;
                events.Add(ev);
                last = ev.Start;
                if (ev is NodeEvent or AnchorAlias && frames.TryPeek(out var parent))
                {
                    parent.Children++;
                    if (parent.Mapping && parent.Children % 2 == 1) parent.LastKey = ev.Start;
                }
                switch (ev)
                {
                    case DocumentStart ds when !ds.IsImplicit || documents == 0:
                        documents++;
                        if (documents == 2)
                        {
                            diagnostics.Error(Codes.MultipleDocuments, Span(path, ev.Start, ev.End),
                                "a spec file holds one YAML document; remove the second '---'");
                            return true;
                        }
                        break;
                    case DocumentStart:
                        documents++;
                        break;
                    case AnchorAlias alias:
                    {
                        if (!anchorSizes.TryGetValue(alias.Value.Value, out long size))
                        {
                            diagnostics.Error(Codes.YamlSyntax, Span(path, ev.Start, ev.End),
                                $"the alias '*{alias.Value.Value}' names no anchor: write '&{alias.Value.Value}' on a value before it");
                            return true;
                        }
                        if (TooMany(size, ev, $"aliases expand the document past {limits.MaxNodes} nodes (a \"billion laughs\" document?); --max-nodes raises the limit"))
                            return true;
                        AddToTop(frames, size);
                        break;
                    }
                    case NodeEvent node:
                    {
                        CheckTag(path, node, diagnostics);
                        long size = 1;
                        if (node is Scalar scalar && scalar.Value.Length > limits.MaxStringLength)
                        {
                            diagnostics.Error(Codes.StringTooLong, Span(path, ev.Start, ev.Start),
                                $"a value of {scalar.Value.Length} characters is longer than the limit of {limits.MaxStringLength} (--max-string-length)");
                            return true;
                        }
                        if (TooMany(size, ev, $"the document has more than {limits.MaxNodes} nodes; --max-nodes raises the limit"))
                            return true;
                        if (node is SequenceStart or MappingStart)
                        {
                            bool flow = node is SequenceStart { Style: SequenceStyle.Flow } or MappingStart { Style: MappingStyle.Flow };
                            frames.Push(new Frame(node.Anchor.IsEmpty ? null : node.Anchor.Value, ev.Start, flow, node is MappingStart));
                            if (frames.Count > maxDepth)
                            {
                                diagnostics.Error(Codes.TooDeep, Span(path, ev.Start, ev.End),
                                    $"YAML nesting is deeper than the limit of {maxDepth} levels (--max-depth)");
                                return true;
                            }
                        }
                        else
                        {
                            if (node is Scalar && !node.Anchor.IsEmpty) anchorSizes[node.Anchor.Value] = 1;
                            AddToTop(frames, size);
                        }
                        break;
                    }
                    case SequenceEnd or MappingEnd:
                    {
                        if (frames.Count == 0) break;
                        var f = frames.Pop();
                        if (f.Mapping && f.Children % 2 == 1)
                        {
                            // YamlDotNet's parser lets a stray node after a collection (b: [1] *a)
                            // through as a key without a value; its loader then fails without a position.
                            diagnostics.Error(Codes.YamlSyntax, Span(path, f.LastKey, f.LastKey),
                                "this key has no value: is something left after a value on the line before, or a ':' missing?");
                            return true;
                        }
                        if (f.Anchor is not null) anchorSizes[f.Anchor] = f.Count;
                        AddToTop(frames, f.Count);
                        break;
                    }
                }
            }
        }
        catch (YamlException e)
        {
            AddYamlError(source, e, diagnostics);
            return true;
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet throws this, without a position, for an unclosed flow collection
            // followed by more lines. Point at the innermost collection still open.
            var open = frames.FirstOrDefault(f => f.Flow);
            var at = open?.Start ?? last;
            diagnostics.Error(Codes.YamlSyntax, Span(path, at, at),
                open is not null ? "this flow collection is never closed: a ']' or '}' is missing"
                                 : "the YAML could not be parsed here");
            return true;
        }
        catch (ArgumentException)
        {
            // YamlDotNet throws this, without a position, for a tag that is not a valid URI
            // (!!python/object[/apply:...]). Point at the first '!' after the last node read.
            var at = TagAfter(source, last) ?? Span(path, last, last);
            diagnostics.Error(Codes.TagNotAllowed, at, "this YAML tag is not even a valid tag, and no tag is allowed in a spec; remove it");
            return true;
        }
        return documents > 0;
    }

    /// <summary>The first '!' at or after <paramref name="from"/>, or null.</summary>
    private static SourceSpan? TagAfter(SourceText source, Mark from)
    {
        for (int n = Math.Max(1, (int)from.Line); n <= source.LineCount; n++)
        {
            var line = source.Line(n)!;
            int i = line.IndexOf('!', n == from.Line ? Math.Clamp((int)from.Column - 1, 0, line.Length) : 0);
            if (i >= 0) return new SourceSpan(source.Path, n, i + 1, n, i + 2);
        }
        return null;
    }

    private static void AddToTop(Stack<Frame> frames, long size)
    {
        if (frames.Count == 0) return;
        var top = frames.Peek();
        top.Count = top.Count > long.MaxValue - size ? long.MaxValue : top.Count + size;
    }

    private static void CheckTag(string path, NodeEvent node, DiagnosticBag diagnostics)
    {
        if (node.Tag.IsEmpty || node.Tag.IsNonSpecific) return;
        // Every explicit tag is refused, the standard ones (!!str, !!int) included: a spec's
        // values mean what they look like, and no tag ever selects a type to construct.
        var tag = node.Tag.Value;
        const string standard = "tag:yaml.org,2002:";
        if (tag.StartsWith(standard, StringComparison.Ordinal)) tag = "!!" + tag[standard.Length..];
        diagnostics.Error(Codes.TagNotAllowed, Span(path, node.Start, node.End),
            $"YAML tag '{tag}' is not allowed in a spec; tags never create objects here, remove it");
    }

    private static void AddYamlError(SourceText source, YamlException e, DiagnosticBag diagnostics)
    {
        var message = e.Message;
        // YamlDotNet prefixes "(Line: 3, Col: 5, Idx: 20) - (Line: ...): "; the span says it already.
        int cut = message.IndexOf("): ", StringComparison.Ordinal);
        if (message.StartsWith("(Line:", StringComparison.Ordinal) && cut >= 0) message = message[(cut + 3)..];
        message = message.Trim();
        if (message.Length > 0) message = char.ToLowerInvariant(message[0]) + message[1..];
        message = message.TrimEnd('.');
        bool duplicate = message.Contains("duplicate key", StringComparison.OrdinalIgnoreCase);
        var span = e.Start.Line > 0 ? Span(source.Path, e.Start, e.End) : new SourceSpan(source.Path, 1, 1, 1, 1);
        if (span.Line > source.LineCount)
        {
            // At the end of a text without a final line break, YamlDotNet points one line past it.
            int line = source.LineCount, col = source.Line(line)!.Length + 1;
            span = new SourceSpan(source.Path, line, col, line, col);
        }
        if (!duplicate && message.Contains("tab", StringComparison.Ordinal) && TabIndent(source, span.Line) is { } tab)
        {
            // YamlDotNet points at the mapping that contains the tab; point at the tab itself.
            span = tab;
            message = "a tab is used for indentation; YAML indents with spaces only";
        }
        string key = duplicate ? KeyAt(source, span) : "";
        diagnostics.Error(duplicate ? Codes.DuplicateKey : Codes.YamlSyntax, span,
            duplicate ? $"the key '{key}' appears twice in the same mapping; remove or rename one" : $"YAML syntax: {message}");
    }

    /// <summary>The first tab in the indentation of a line from <paramref name="fromLine"/> on, or null.</summary>
    private static SourceSpan? TabIndent(SourceText source, int fromLine)
    {
        for (int n = Math.Max(1, fromLine); n <= source.LineCount; n++)
        {
            var line = source.Line(n)!;
            for (int i = 0; i < line.Length && line[i] is ' ' or '\t'; i++)
                if (line[i] == '\t') return new SourceSpan(source.Path, n, i + 1, n, i + 2);
        }
        return null;
    }

    /// <summary>The plain key written at <paramref name="span"/>, for the duplicate-key message.</summary>
    private static string KeyAt(SourceText source, SourceSpan span)
    {
        var line = source.Line(span.Line) ?? "";
        int start = Math.Clamp(span.Column - 1, 0, line.Length);
        int colon = line.IndexOf(':', start);
        var key = (colon < 0 ? line[start..] : line[start..colon]).Trim().Trim('"', '\'');
        return YamlNodes.Clip(key);
    }

    internal static SourceSpan Span(string path, Mark start, Mark end) =>
        new(path, (int)start.Line, (int)start.Column, (int)end.Line, (int)end.Column);

    private static SourceSpan SpanAtOffset(string path, string text, int offset)
    {
        int line = 1, col = 1;
        for (int i = 0; i < offset; i++)
        {
            char c = text[i];
            if (c == '\r' && i + 1 < offset && text[i + 1] == '\n') continue;
            if (c is '\n' or '\r' or '\u0085' or '\u2028' or '\u2029') { line++; col = 1; }
            else col++;
        }
        return new SourceSpan(path, line, col, line, col + 1);
    }
}
