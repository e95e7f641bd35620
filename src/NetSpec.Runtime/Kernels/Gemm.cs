using System.Numerics;

namespace NetSpec.Runtime.Kernels;

/// <summary>
/// General matrix product on row-major storage: C = alpha * op(A) * op(B) + beta * C,
/// where op(X) is X or its transpose. op(A) is m x k, op(B) is k x n, C is m x n.
/// lda, ldb and ldc are the row strides of A, B and C as stored.
/// When beta is zero, C is overwritten (its old contents, even NaN, are ignored).
/// </summary>
/// <remarks>
/// This is the one place every matrix product in NetSpec goes through, so it can be made fast
/// without touching the ops. For a given thread count the result is bit-for-bit deterministic.
/// </remarks>
public static partial class Gemm
{
    public static void Multiply<T>(
        bool transA, bool transB, int m, int n, int k,
        T alpha, ReadOnlySpan<T> a, int lda,
        ReadOnlySpan<T> b, int ldb,
        T beta, Span<T> c, int ldc)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Reference(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    /// <summary>The plain triple loop: the definition the fast paths are tested against.</summary>
    public static void Reference<T>(
        bool transA, bool transB, int m, int n, int k,
        T alpha, ReadOnlySpan<T> a, int lda,
        ReadOnlySpan<T> b, int ldb,
        T beta, Span<T> c, int ldc)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                T sum = T.Zero;
                for (int p = 0; p < k; p++)
                {
                    T av = transA ? a[p * lda + i] : a[i * lda + p];
                    T bv = transB ? b[j * ldb + p] : b[p * ldb + j];
                    sum += av * bv;
                }
                ref T cij = ref c[i * ldc + j];
                cij = T.IsZero(beta) ? alpha * sum : alpha * sum + beta * cij;
            }
        }
    }
}
