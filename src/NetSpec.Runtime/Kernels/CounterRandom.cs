namespace NetSpec.Runtime.Kernels;

/// <summary>
/// Counter-based random numbers: element i of the stream of (seed, node, step) is a pure function
/// of those four numbers, computed with SplitMix64's mixing function, so no generator state is
/// carried from step to step. A resumed run needs only the step counter, and the numbers are the
/// same for any thread count, build or machine. tools/netspec_rng.py computes the same bits.
/// <code>
/// mix(z)  = z ^= z >> 30; z *= 0xBF58476D1CE4E5B9; z ^= z >> 27; z *= 0x94D049BB133111EB; z ^ (z >> 31)
/// γ       = 0x9E3779B97F4A7C15                                   (all arithmetic mod 2^64)
/// key     = FNV-1a 64 of the node's name (UTF-8)
/// base    = mix(mix(mix(seed + γ) ^ key) + γ · step)
/// bits(i) = mix(base + γ · (i + 1))                              (SplitMix64's stream from base)
/// u(i)    = (bits(i) >> 11) · 2^-53                              (uniform in [0, 1), 53 bits)
/// </code>
/// </summary>
public static class CounterRandom
{
    private const ulong Gamma = 0x9E3779B97F4A7C15UL;

    /// <summary>SplitMix64's finalizer: a bijection of 64-bit words that mixes every bit into every other.</summary>
    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>FNV-1a (64-bit) of <paramref name="name"/>'s UTF-8 bytes: a node's key, stable across runs.</summary>
    public static ulong NameKey(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        ulong h = 14695981039346656037UL;
        foreach (byte b in System.Text.Encoding.UTF8.GetBytes(name))
        {
            h ^= b;
            h *= 1099511628211UL;
        }
        return h;
    }

    /// <summary>The start of the stream of (seed, node key, step).</summary>
    public static ulong Base(ulong seed, ulong nodeKey, long step) =>
        Mix(Mix(Mix(seed + Gamma) ^ nodeKey) + Gamma * unchecked((ulong)step));

    /// <summary>Element <paramref name="i"/> of the stream starting at <paramref name="streamBase"/>, uniform in [0, 1).</summary>
    public static double Uniform(ulong streamBase, long i) =>
        (Mix(streamBase + Gamma * unchecked((ulong)(i + 1))) >> 11) * (1.0 / (1UL << 53));
}
