namespace NetSpec.Parser.Diagnostics;

/// <summary>Collects every independent finding of one pass, in the order found.</summary>
public sealed class DiagnosticBag
{
    private readonly List<Diagnostic> _items = [];

    public IReadOnlyList<Diagnostic> Items => _items;
    public bool HasErrors => _items.Any(d => d.Severity == Severity.Error);
    public int ErrorCount => _items.Count(d => d.Severity == Severity.Error);

    public void Error(string code, SourceSpan span, string message) =>
        _items.Add(new Diagnostic(code, Severity.Error, message, span));

    /// <summary>An error in the spec's outline, listed first (see <see cref="Diagnostic.Outline"/>).</summary>
    public void OutlineError(string code, SourceSpan span, string message) =>
        _items.Add(new Diagnostic(code, Severity.Error, message, span) { Outline = true });

    public void Warning(string code, SourceSpan span, string message) =>
        _items.Add(new Diagnostic(code, Severity.Warning, message, span));

    public void AddRange(IEnumerable<Diagnostic> diagnostics) => _items.AddRange(diagnostics);

    /// <summary>
    /// Diagnostics root first: mistakes in the spec's outline (unknown sections), then the rest by
    /// position, errors and warnings interleaved as in the file.
    /// </summary>
    public IReadOnlyList<Diagnostic> Sorted() =>
        [.. _items.Select((d, i) => (d, i))
            .OrderBy(t => !t.d.Outline).ThenBy(t => t.d.Span.Line).ThenBy(t => t.d.Span.Column).ThenBy(t => t.i)
            .Select(t => t.d)];
}
