namespace NetSpec.Parser.Diagnostics;

/// <summary>One finding about a spec: a stable code, a message and the place it points at.</summary>
public sealed record Diagnostic(string Code, Severity Severity, string Message, SourceSpan Span)
{
    /// <summary>"file:line:col: error NS0104: message", the first line of the rendered form.</summary>
    public override string ToString()
    {
        var sev = Severity == Severity.Error ? "error" : "warning";
        return $"{Span}: {sev} {Code}: {Message}";
    }
}
