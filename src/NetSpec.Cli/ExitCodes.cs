namespace NetSpec.Cli;

/// <summary>The process exit codes of <c>netspec</c>; README and docs/cli.md list them.</summary>
internal static class ExitCodes
{
    public const int Success = 0;
    public const int ExpectationFailed = 1;
    public const int InvalidSpec = 2;
    public const int NumericFault = 3;

    /// <summary>Training stopped because its smoothed loss rose above <c>divergence</c> times its best (a NaN loss is a <see cref="NumericFault"/>).</summary>
    public const int Diverged = 4;
    public const int Usage = 64;

    /// <summary>An output file could not be written (a full disk, a read-only folder, a directory in its place); nothing partial is left. sysexits' EX_IOERR.</summary>
    public const int OutputError = 74;
    public const int InternalError = 70;
}
