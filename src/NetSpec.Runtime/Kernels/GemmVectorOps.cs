using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NetSpec.Runtime.Kernels;

/// <summary>
/// The handful of SIMD operations the GEMM kernels need, as static abstract members so that one
/// kernel body is specialised by the JIT for each (element, vector width) pair without any
/// run-time dispatch. TV is the raw hardware vector type (Vector512&lt;float&gt;, ...).
/// </summary>
internal unsafe interface IGemmVectorOps<T, TV>
    where T : unmanaged
    where TV : struct
{
    /// <summary>Lanes per vector.</summary>
    static abstract int Count { get; }
    static abstract TV Zero { get; }
    static abstract TV Load(T* p);
    static abstract void Store(T* p, TV v);
    /// <summary>Loads the lanes selected by <paramref name="mask"/>; the others read as zero and are never touched in memory.</summary>
    static abstract TV LoadMasked(T* p, TV mask);
    /// <summary>Stores only the lanes selected by <paramref name="mask"/>.</summary>
    static abstract void StoreMasked(T* p, TV mask, TV v);
    /// <summary>A mask selecting the first <paramref name="count"/> lanes.</summary>
    static abstract TV FirstLanes(int count);
    static abstract TV Broadcast(T x);
    /// <summary>a * b + c with a single rounding.</summary>
    static abstract TV Fma(TV a, TV b, TV c);
    static abstract TV Mul(TV a, TV b);
    /// <summary>Lane l = p[l * stride]; stride * (Count - 1) must fit in an int.</summary>
    static abstract TV GatherStrided(T* p, int stride);
}

internal readonly unsafe struct V512F : IGemmVectorOps<float, Vector512<float>>
{
    public static int Count => Vector512<float>.Count;
    public static Vector512<float> Zero => Vector512<float>.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Load(float* p) => Vector512.Load(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float* p, Vector512<float> v) => v.Store(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> LoadMasked(float* p, Vector512<float> mask) => Avx512F.MaskLoad(p, mask, Vector512<float>.Zero);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void StoreMasked(float* p, Vector512<float> mask, Vector512<float> v) => Avx512F.MaskStore(p, mask, v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> FirstLanes(int count) => Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(count)).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Broadcast(float x) => Vector512.Create(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Fma(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Vector512.FusedMultiplyAdd(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Mul(Vector512<float> a, Vector512<float> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> GatherStrided(float* p, int stride)
    {
        // .NET has no 512-bit gather; two 256-bit gathers.
        Vector256<int> index = Vector256<int>.Indices * stride;
        return Vector512.Create(Avx2.GatherVector256(p, index, 4), Avx2.GatherVector256(p + 8 * stride, index, 4));
    }
}

internal readonly unsafe struct V512D : IGemmVectorOps<double, Vector512<double>>
{
    public static int Count => Vector512<double>.Count;
    public static Vector512<double> Zero => Vector512<double>.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<double> Load(double* p) => Vector512.Load(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(double* p, Vector512<double> v) => v.Store(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<double> LoadMasked(double* p, Vector512<double> mask) => Avx512F.MaskLoad(p, mask, Vector512<double>.Zero);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void StoreMasked(double* p, Vector512<double> mask, Vector512<double> v) => Avx512F.MaskStore(p, mask, v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<double> FirstLanes(int count) => Vector512.LessThan(Vector512<long>.Indices, Vector512.Create((long)count)).AsDouble();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<double> Broadcast(double x) => Vector512.Create(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<double> Fma(Vector512<double> a, Vector512<double> b, Vector512<double> c) => Vector512.FusedMultiplyAdd(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<double> Mul(Vector512<double> a, Vector512<double> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<double> GatherStrided(double* p, int stride)
    {
        Vector128<int> index = Vector128<int>.Indices * stride;
        return Vector512.Create(Avx2.GatherVector256(p, index, 8), Avx2.GatherVector256(p + 4 * stride, index, 8));
    }
}

internal readonly unsafe struct V256F : IGemmVectorOps<float, Vector256<float>>
{
    public static int Count => Vector256<float>.Count;
    public static Vector256<float> Zero => Vector256<float>.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Load(float* p) => Vector256.Load(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float* p, Vector256<float> v) => v.Store(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> LoadMasked(float* p, Vector256<float> mask) => Avx.MaskLoad(p, mask);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void StoreMasked(float* p, Vector256<float> mask, Vector256<float> v) => Avx.MaskStore(p, mask, v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> FirstLanes(int count) => Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(count)).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Broadcast(float x) => Vector256.Create(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Fma(Vector256<float> a, Vector256<float> b, Vector256<float> c) => Vector256.FusedMultiplyAdd(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Mul(Vector256<float> a, Vector256<float> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> GatherStrided(float* p, int stride) => Avx2.GatherVector256(p, Vector256<int>.Indices * stride, 4);
}

internal readonly unsafe struct V256D : IGemmVectorOps<double, Vector256<double>>
{
    public static int Count => Vector256<double>.Count;
    public static Vector256<double> Zero => Vector256<double>.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<double> Load(double* p) => Vector256.Load(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(double* p, Vector256<double> v) => v.Store(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<double> LoadMasked(double* p, Vector256<double> mask) => Avx.MaskLoad(p, mask);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void StoreMasked(double* p, Vector256<double> mask, Vector256<double> v) => Avx.MaskStore(p, mask, v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<double> FirstLanes(int count) => Vector256.LessThan(Vector256<long>.Indices, Vector256.Create((long)count)).AsDouble();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<double> Broadcast(double x) => Vector256.Create(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<double> Fma(Vector256<double> a, Vector256<double> b, Vector256<double> c) => Vector256.FusedMultiplyAdd(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<double> Mul(Vector256<double> a, Vector256<double> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<double> GatherStrided(double* p, int stride) => Avx2.GatherVector256(p, Vector128<int>.Indices * stride, 8);
}
