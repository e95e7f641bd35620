namespace NetSpec.Parser.Diagnostics;

public enum Severity
{
    Warning,
    Error,
}
