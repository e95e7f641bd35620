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
            if (!info.Exists)
            {
                diagnostics.Error(Codes.FileNotFound, none, $"spec file '{path}' does not exist");
                return new(null, null);
            }
            if (info.Length > limits.MaxFileBytes)
            {
                diagnostics.Error(Codes.FileTooLarge, none,
                    $"spec file is {info.Length} bytes, more than the limit of {limits.MaxFileBytes} (--max-file-bytes)");
                return new(null, null);
            }
            bytes = File.ReadAllBytes(path);
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
            return new(null, null);
        }
        return LoadText(path, text, limits, diagnostics);
    }

    /// <summary>Loads spec text.</summary>
    public static Result LoadText(string path, string text, ParserLimits limits, DiagnosticBag diagnostics)
    {
        var source = new SourceText(path, text);
        int before = diagnostics.Items.Count;
        bool hasDocument = PreScan(source, limits, diagnostics);
        if (diagnostics.Items.Count > before)
            return new(source, null);
        if (!hasDocument)
        {
            diagnostics.Error(Codes.FileEmpty, new SourceSpan(path, 1, 1, 1, 1), "the spec file is empty");
            return new(source, null);
        }
        try
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(text));
            var root = stream.Documents[0].RootNode;
            return new(source, root);
        }
        catch (YamlException e)
        {
            AddYamlError(source, e, diagnostics);
            return new(source, null);
        }
    }

    private static bool PreScan(SourceText source, ParserLimits limits, DiagnosticBag diagnostics)
    {
        var path = source.Path;
        var parser = new YamlDotNet.Core.Parser(new StringReader(source.Text));
        var anchorSizes = new Dictionary<string, long>(StringComparer.Ordinal);
        var frames = new Stack<(string? Anchor, long Count, Mark Start, bool Flow)>();
        long expanded = 0;
        int documents = 0;
        Mark last = Mark.Empty;
        try
        {
            while (parser.MoveNext())
            {
                var ev = parser.Current!;
                last = ev.Start;
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
                        if (!anchorSizes.TryGetValue(alias.Value.Value, out long size)) size = 1;
                        expanded = expanded > long.MaxValue - size ? long.MaxValue : expanded + size;
                        if (expanded > limits.MaxNodes)
                        {
                            diagnostics.Error(Codes.AliasExpansion, Span(path, ev.Start, ev.End),
                                $"aliases expand the document past {limits.MaxNodes} nodes (a \"billion laughs\" document?); --max-nodes raises the limit");
                            return true;
                        }
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
                        expanded = expanded > long.MaxValue - size ? long.MaxValue : expanded + size;
                        if (expanded > limits.MaxNodes)
                        {
                            diagnostics.Error(Codes.AliasExpansion, Span(path, ev.Start, ev.End),
                                $"the document has more than {limits.MaxNodes} nodes; --max-nodes raises the limit");
                            return true;
                        }
                        if (node is SequenceStart or MappingStart)
                        {
                            bool flow = node is SequenceStart { Style: SequenceStyle.Flow } or MappingStart { Style: MappingStyle.Flow };
                            frames.Push((node.Anchor.IsEmpty ? null : node.Anchor.Value, 1, ev.Start, flow));
                            if (frames.Count > limits.MaxDepth)
                            {
                                diagnostics.Error(Codes.TooDeep, Span(path, ev.Start, ev.End),
                                    $"YAML nesting is deeper than the limit of {limits.MaxDepth} levels (--max-depth)");
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
            var at = open.Flow ? open.Start : last;
            diagnostics.Error(Codes.YamlSyntax, Span(path, at, at),
                open.Flow ? "this flow collection is never closed: a ']' or '}' is missing"
                          : "the YAML could not be parsed here");
            return true;
        }
        return documents > 0;
    }

    private static void AddToTop(Stack<(string? Anchor, long Count, Mark Start, bool Flow)> frames, long size)
    {
        if (frames.Count == 0) return;
        var top = frames.Pop();
        top.Count = top.Count > long.MaxValue - size ? long.MaxValue : top.Count + size;
        frames.Push(top);
    }

    private static void CheckTag(string path, NodeEvent node, DiagnosticBag diagnostics)
    {
        if (node.Tag.IsEmpty || node.Tag.IsNonSpecific) return;
        var tag = node.Tag.Value;
        if (tag.StartsWith("tag:yaml.org,2002:", StringComparison.Ordinal)) return;
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
        diagnostics.Error(duplicate ? Codes.DuplicateKey : Codes.YamlSyntax, span,
            duplicate ? "this key appears twice in the same mapping" : $"YAML syntax: {message}");
    }

    internal static SourceSpan Span(string path, Mark start, Mark end) =>
        new(path, (int)start.Line, (int)start.Column, (int)end.Line, (int)end.Column);

    private static SourceSpan SpanAtOffset(string path, string text, int offset)
    {
        int line = 1, col = 1;
        for (int i = 0; i < offset; i++)
        {
            if (text[i] == '\n') { line++; col = 1; }
            else col++;
        }
        return new SourceSpan(path, line, col, line, col + 1);
    }
}
