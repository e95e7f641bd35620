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
    /// <remarks>
    /// A sort of the indices, the index breaking ties (so diagnostics at one position keep the
    /// order they were found in), rather than a LINQ ordering over tuples: every command sorts its diagnostics, and the ReadyToRun build would compile that
    /// ordering's generic code at start-up.
    /// </remarks>
    public IReadOnlyList<Diagnostic> Sorted()
    {
        var order = new int[_items.Count];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        Array.Sort(order, (a, b) =>
        {
            Diagnostic x = _items[a], y = _items[b];
            int c = y.Outline.CompareTo(x.Outline);
            if (c == 0) c = x.Span.Line.CompareTo(y.Span.Line);
            if (c == 0) c = x.Span.Column.CompareTo(y.Span.Column);
            return c != 0 ? c : a.CompareTo(b);
        });
        var sorted = new Diagnostic[order.Length];
        for (int i = 0; i < order.Length; i++) sorted[i] = _items[order[i]];
        return sorted;
    }
}
