namespace NetSpec.Runtime.Kernels;

/// <summary>
/// Per-call settings for <see cref="Gemm.Multiply{T}(bool, bool, int, int, int, T, ReadOnlySpan{T}, int, ReadOnlySpan{T}, int, T, Span{T}, int, GemmOptions)"/>.
/// An immutable value passed with each call: there is no process-wide GEMM setting.
/// </summary>
/// <remarks>
/// The result does not depend on <see cref="Threads"/>: work is split into fixed row or column
/// ranges and every element of C is computed with the same sequence of operations whichever
/// thread computes it, so 1 and 2 threads give bit-identical results.
/// </remarks>
public readonly record struct GemmOptions
{
    /// <summary>Single-threaded (the default: <c>default(GemmOptions)</c> is the same).</summary>
    public static GemmOptions Default => default;

    /// <summary>
    /// Most threads the product may use, the calling thread included. Values below 2 mean the
    /// calling thread only. It is capped at the processor count, and small products run on the
    /// calling thread alone because handing work to a helper thread would cost more than it saves.
    /// </summary>
    public int Threads { get; init; }

    /// <summary>Options that allow up to <paramref name="threads"/> threads.</summary>
    public static GemmOptions WithThreads(int threads) => new() { Threads = threads };

    /// <summary>Options that allow one thread per processor.</summary>
    public static GemmOptions AllProcessors => new() { Threads = Environment.ProcessorCount };
}
