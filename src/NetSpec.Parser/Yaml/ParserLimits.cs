namespace NetSpec.Parser.Yaml;

/// <summary>
/// Bounds that keep a hostile or broken spec from exhausting NetSpec. Each is refused with a
/// positioned diagnostic before any computation. docs/diagnostics.md documents the defaults.
/// </summary>
public sealed record ParserLimits
{
    /// <summary>Largest spec file accepted, in bytes.</summary>
    public long MaxFileBytes { get; init; } = 8 * 1024 * 1024;

    /// <summary>Deepest nesting of YAML collections; at most <see cref="DepthCeiling"/>, whatever is asked.</summary>
    public int MaxDepth { get; init; } = 64;

    /// <summary>
    /// The largest <see cref="MaxDepth"/> honoured: YamlDotNet's loader recurses once per level and
    /// dies of an uncatchable stack overflow past about 25,000 levels, so deeper is never allowed.
    /// </summary>
    public const int DepthCeiling = 1000;

    /// <summary>Most YAML nodes after alias expansion (a "billion laughs" document is refused).</summary>
    public long MaxNodes { get; init; } = 2_000_000;

    /// <summary>Longest scalar (string or number) in characters.</summary>
    public int MaxStringLength { get; init; } = 10_000;

    /// <summary>Most tensor elements a spec may declare, inline values and initializer shapes together.</summary>
    public long MaxElements { get; init; } = 50_000_000;

    /// <summary>Whether data files may lie outside the spec's folder.</summary>
    public bool AllowOutsidePaths { get; init; }

    public static ParserLimits Default { get; } = new();
}
