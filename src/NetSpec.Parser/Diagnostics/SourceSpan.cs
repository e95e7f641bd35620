namespace NetSpec.Parser.Diagnostics;

/// <summary>A place in a spec file: 1-based line and column of its start and end.</summary>
public readonly record struct SourceSpan(string File, int Line, int Column, int EndLine, int EndColumn)
{
    public static SourceSpan None(string file) => new(file, 0, 0, 0, 0);

    public bool HasPosition => Line > 0;

    public override string ToString() => HasPosition ? $"{File}:{Line}:{Column}" : File;
}
