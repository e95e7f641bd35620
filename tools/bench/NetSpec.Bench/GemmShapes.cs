namespace NetSpec.Bench;

/// <summary>A product shape as Gemm.Multiply takes it: op(A) is M x K, op(B) is K x N.</summary>
public sealed record GemmShape(string Name, bool TransA, bool TransB, int M, int N, int K)
{
    public double Flops => 2.0 * M * N * K;

    public override string ToString() => Name;

    /// <summary>
    /// The products an MLP step makes (z = x W^T: forward is A=x, B=W with transB; dX = dZ W; dW = dZ^T x with transA),
    /// for the digits MLP 64-128-64-10 at batch 32, the wide MLP 784-1024-1024-10 at batch 256, the deep MLP
    /// 64-1024-1024-10 at batches 1 to 256 (every product at batches 1, 32 and 256, the 1024 x 1024 forward at more),
    /// and a square product.
    /// </summary>
    public static readonly GemmShape[] All = Build();

    private static GemmShape[] Build()
    {
        var list = new List<GemmShape>
        {
            new("digits fwd 32x128x64 NT", false, true, 32, 128, 64),
            new("digits fwd 32x10x64 NT", false, true, 32, 10, 64),
            new("digits dX 32x128x64 NN", false, false, 32, 128, 64),
            new("digits dW 64x128x32 TN", true, false, 64, 128, 32),
            new("narrow fwd 32x10x128 NT", false, true, 32, 10, 128),
            new("wide fwd 256x1024x784 NT", false, true, 256, 1024, 784),
            new("wide fwd 32x1024x784 NT", false, true, 32, 1024, 784),
            new("wide fwd 256x1024x1024 NT", false, true, 256, 1024, 1024),
            new("wide dX 256x784x1024 NN", false, false, 256, 784, 1024),
            new("wide dW 1024x784x256 TN", true, false, 1024, 784, 256),
            new("wide fwd 256x10x1024 NT", false, true, 256, 10, 1024),
            new("wide dX 256x1024x10 NN", false, false, 256, 1024, 10),
            new("wide dW 10x1024x256 TN", true, false, 10, 1024, 256),
        };
        foreach (int b in new[] { 1, 32, 256 })
        {
            list.Add(new($"deep fwd {b}x1024x64 NT", false, true, b, 1024, 64));
            list.Add(new($"deep fwd {b}x1024x1024 NT", false, true, b, 1024, 1024));
            list.Add(new($"deep fwd {b}x10x1024 NT", false, true, b, 10, 1024));
            list.Add(new($"deep dX {b}x1024x1024 NN", false, false, b, 1024, 1024));
            list.Add(new($"deep dX {b}x1024x10 NN", false, false, b, 1024, 10));
            list.Add(new($"deep dW 1024x1024x{b} TN", true, false, 1024, 1024, b));
            list.Add(new($"deep dW 10x1024x{b} TN", true, false, 10, 1024, b));
            list.Add(new($"deep dW 1024x64x{b} TN", true, false, 1024, 64, b));
        }
        foreach (int b in new[] { 8, 64, 128 })
        {
            list.Add(new($"deep fwd {b}x1024x1024 NT", false, true, b, 1024, 1024));
        }
        list.Add(new("square 1024^3 NN", false, false, 1024, 1024, 1024));
        return [.. list];
    }
}
