using System.Runtime.CompilerServices;

namespace NetSpec.Runtime.Kernels;

/// <summary>How the kernels' hot loops are compiled: <c>[MethodImpl(HotLoop.Options)]</c>.</summary>
/// <remarks>
/// Under the JIT, <see cref="MethodImplOptions.AggressiveOptimization"/>: a kernel is compiled
/// once, fully optimised, on its first call, instead of running its vector loops as unoptimised
/// tier-0 code until tiering replaces it. The ReadyToRun publish (<c>./netspec</c> without clang,
/// which defines <c>NETSPEC_READYTORUN</c>) drops the flag, because crossgen2 does not precompile a
/// method that carries it: every kernel lab07 touches was compiled at start-up instead (13 fully
/// optimised compilations). There the precompiled code, built for the processor it runs on, is
/// what runs; the arithmetic, and so every bit, is the same either way. Native AOT ignores the flag.
/// </remarks>
internal static class HotLoop
{
#if NETSPEC_READYTORUN
    public const MethodImplOptions Options = default;
#else
    public const MethodImplOptions Options = MethodImplOptions.AggressiveOptimization;
#endif
}
