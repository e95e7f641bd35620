namespace NetSpec.Parser.Diagnostics;

/// <summary>One finding about a spec: a stable code, a message and the place it points at.</summary>
public sealed record Diagnostic(string Code, Severity Severity, string Message, SourceSpan Span)
{
    /// <summary>
    /// A mistake in the spec's outline (an unknown section key): the rest of the file is read in
    /// its light, so it is listed before every other diagnostic.
    /// </summary>
    public bool Outline { get; init; }

    /// <summary>"file:line:col: error NS0104: message", the first line of the rendered form.</summary>
    public override string ToString()
    {
        var sev = Severity == Severity.Error ? "error" : "warning";
        return $"{Span}: {sev} {Code}: {Message}";
    }
}
