using System.Globalization;
using System.Numerics;
using System.Numerics.Tensors;
using NetSpec.Runtime.Execution;
using NetSpec.Runtime.Kernels;

namespace NetSpec.Tests.Runtime;

/// <summary>
/// conv2d's vector loops (window unrolling, the moves of Y and dY, the fold onto the input) give
/// the same bits as the plain definition: the windows unrolled entry by entry, the same five
/// products through <see cref="Gemm"/>, the bias added after, the column gradient folded back in
/// kernel-tap order. Small planes (one vector), large ones (runs and value-by-value chunks),
/// strides, dilation, asymmetric padding, groups, no bias; output planes that fill, share and
/// straddle the 16-column chunks in which the float32 loops write Y into y and read dY back;
/// float32 and float64.
/// </summary>
[TestClass]
public sealed class Conv2dKernelTests
{
    public static IEnumerable<object[]> Geometries =>
    [
        ["LeNet conv 1: 1 -> 8, 3x3, padding 1 on 8x8", 5, 1, 8, 8, 8, 3, 3, "padding: 1", 1],
        ["LeNet conv 2: 8 -> 16, 3x3 on 4x4", 5, 8, 4, 4, 16, 3, 3, "", 1],
        ["5x7, 3x2 kernel, stride [2, 1], pads [1, 0, 0, 2]", 3, 2, 5, 7, 3, 3, 2, "stride: [2, 1], padding: [1, 0, 0, 2]", 1],
        ["9x9, dilation 2, padding 2, groups 2", 2, 4, 9, 9, 6, 3, 3, "dilation: 2, padding: 2, groups: 2", 2],
        ["6x10, 1x1, no bias, stride 2", 3, 3, 6, 10, 2, 1, 1, "stride: 2", 0],
        ["3x3 plane, kernel 2, padding [0, 1]", 4, 2, 3, 3, 4, 2, 2, "padding: [0, 1]", 1],
        ["20x20 (chunks of 16 across rows), 5x5, padding 2", 2, 2, 20, 20, 3, 5, 5, "padding: 2", 1],
        ["LeNet conv 1 at batch 32 (tiles of 4 filters by 64 columns)", 32, 1, 8, 8, 8, 3, 3, "padding: 1", 1],
        ["LeNet conv 2 at batch 32 (4 samples per 16 columns)", 32, 8, 4, 4, 16, 3, 3, "", 1],
        ["1x1 output planes (16 samples per 16 columns), 7 filters", 19, 3, 3, 3, 7, 3, 3, "", 1],
        ["3x1 output planes (samples across 16-column chunks), 5 filters, no bias", 11, 2, 5, 3, 5, 3, 3, "", 0],
        ["6x6 output planes, 9 filters, groups 3", 7, 3, 6, 6, 9, 1, 1, "groups: 3", 1],
        ["2x2 planes, 3x3 kernel, padding 1 (4 samples per vector, taps in the padding)", 7, 3, 2, 2, 5, 3, 3, "padding: 1", 1],
        ["4x4 planes to 4x2, padding [1, 0] (2 samples per vector)", 5, 2, 4, 4, 3, 3, 3, "padding: [1, 0]", 1],
        ["8x8 planes, 16 filters in one group, padding 1 (4 tiles of 4 filters)", 3, 2, 8, 8, 16, 3, 3, "padding: 1", 1],
        ["8x8 planes, 16 filters, groups 2, padding 1 (tiles per group)", 3, 4, 8, 8, 16, 3, 3, "padding: 1, groups: 2", 1],
        ["2x16 planes, 3x1 kernel, padding [2, 0] (chunks all padding), no bias", 3, 2, 2, 16, 8, 3, 1, "padding: [2, 0]", 0],
    ];

    [TestMethod]
    [DynamicData(nameof(Geometries))]
    public void Forward_and_backward_are_the_plain_definitions_bits(string name, int n, int c, int h, int w, int m, int kh, int kw, string attrs, int bias)
    {
        Check<double>(name, n, c, h, w, m, kh, kw, attrs, bias != 0);
        Check<float>(name, n, c, h, w, m, kh, kw, attrs, bias != 0);
    }

    /// <summary>The float32 index loops (the ones of processors without AVX-512) on every machine: the tap tables turned off.</summary>
    [TestMethod]
    [DynamicData(nameof(Geometries))]
    public void Float_index_loops_are_the_plain_definitions_bits(string name, int n, int c, int h, int w, int m, int kh, int kw, string attrs, int bias)
    {
        NetSpec.Runtime.Ops.Conv2d.TapTablesAllowed = false;
        try
        {
            Check<float>(name + " (index loops)", n, c, h, w, m, kh, kw, attrs, bias != 0);
        }
        finally
        {
            NetSpec.Runtime.Ops.Conv2d.TapTablesAllowed = true;
        }
    }

    private static void Check<T>(string name, int n, int c, int h, int w, int m, int kh, int kw, string attrs, bool bias) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int groups = attrs.Contains("groups: 2", StringComparison.Ordinal) ? 2 : attrs.Contains("groups: 3", StringComparison.Ordinal) ? 3 : 1;
        string extra = attrs.Length > 0 ? ", " + attrs : "";
        string yaml = $$"""
            network:
              y: {op: conv2d, x: x, W: K{{(bias ? ", b: k" : "")}}{{extra}}}
              z: {op: mul, a: y, b: R}
              J: {op: reduce_sum, x: z}
            parameters:
              x: {init: uniform, low: -2, high: 2, shape: [{{n}}, {{c}}, {{h}}, {{w}}], seed: 11}
              K: {init: uniform, low: -1, high: 1, shape: [{{m}}, {{c / groups}}, {{kh}}, {{kw}}], seed: 12}
              k: {init: uniform, low: -1, high: 1, shape: [{{m}}], seed: 13}
              R: {init: uniform, low: -3, high: 3, shape: OUT, seed: 14}
            backward: {from: J}
            """;
        var attributes = ParseAttributes(attrs);
        int[] stride = attributes.GetValueOrDefault("stride", [1, 1]), dil = attributes.GetValueOrDefault("dilation", [1, 1]);
        int[] pad = attributes.GetValueOrDefault("padding", [0, 0, 0, 0]);
        if (pad.Length == 2) pad = [pad[0], pad[1], pad[0], pad[1]];
        int pT = pad[0], pL = pad[1];
        int oh = (h + pad[0] + pad[2] - dil[0] * (kh - 1) - 1) / stride[0] + 1, ow = (w + pad[1] + pad[3] - dil[1] * (kw - 1) - 1) / stride[1] + 1;
        var interp = new Interpreter<T>(SpecText.Load(yaml.Replace("OUT", $"[{n}, {m}, {oh}, {ow}]", StringComparison.Ordinal)).Graph!);
        Assert.IsTrue(interp.Forward(1));
        Assert.IsTrue(interp.Backward(1));

        T[] x = interp.Value("x").Data, k = interp.Value("K").Data, dy = interp.Gradient("y")!.Data;
        int P = oh * ow, NP = n * P, cg = c / groups, mg = m / groups, kg = cg * kh * kw, K = c * kh * kw;

        // col[(ch, i, j), (s, a, b)] = x[s, ch, a·s_h - p_top + i·d_h, b·s_w - p_left + j·d_w], 0 in the padding:
        // every (col entry, x entry or -1) pair, in the order (ch, i, j, s, a, b).
        var pairs = new List<(int Col, int X)>();
        for (int ch = 0; ch < c; ch++)
            for (int i = 0; i < kh; i++)
                for (int j = 0; j < kw; j++)
                    for (int s = 0; s < n; s++)
                        for (int a = 0; a < oh; a++)
                            for (int b = 0; b < ow; b++)
                            {
                                int r = a * stride[0] - pT + i * dil[0], q = b * stride[1] - pL + j * dil[1];
                                pairs.Add((((ch * kh + i) * kw + j) * NP + s * P + a * ow + b, r >= 0 && r < h && q >= 0 && q < w ? ((s * c + ch) * h + r) * w + q : -1));
                            }
        var col = new T[K * NP];
        foreach (var (ci, xi) in pairs) col[ci] = xi >= 0 ? x[xi] : T.Zero;
        var yt = new T[m * NP];
        for (int g = 0; g < groups; g++)
            Gemm.Multiply(false, false, mg, NP, kg, T.One, k.AsSpan(g * mg * kg), kg, col.AsSpan(g * kg * NP), NP, T.Zero, yt.AsSpan(g * mg * NP), NP, GemmOptions.Default);
        var y = new T[n * m * P];
        for (int s = 0; s < n; s++)
            for (int f = 0; f < m; f++)
                for (int o = 0; o < P; o++)
                    y[(s * m + f) * P + o] = yt[f * NP + s * P + o] + (bias ? interp.Value("k").Data[f] : T.Zero);
        AssertBits($"{name} ({typeof(T).Name}): y", y, interp.Value("y").Data);

        var dyt = new T[m * NP];
        for (int s = 0; s < n; s++)
            for (int f = 0; f < m; f++)
                for (int o = 0; o < P; o++)
                    dyt[f * NP + s * P + o] = dy[(s * m + f) * P + o];
        if (bias)
        {
            var db = new T[m];
            for (int f = 0; f < m; f++) db[f] += TensorPrimitives.Sum<T>(dyt.AsSpan(f * NP, NP));
            AssertBits($"{name} ({typeof(T).Name}): dJ/db", db, interp.Gradient("k")!.Data);
        }
        var dw = new T[k.Length];
        for (int g = 0; g < groups; g++)
            Gemm.Multiply(false, true, mg, kg, NP, T.One, dyt.AsSpan(g * mg * NP), NP, col.AsSpan(g * kg * NP), NP, T.One, dw.AsSpan(g * mg * kg), kg, GemmOptions.Default);
        AssertBits($"{name} ({typeof(T).Name}): dJ/dW", dw, interp.Gradient("K")!.Data);
        var dcol = new T[K * NP];
        for (int g = 0; g < groups; g++)
            Gemm.Multiply(true, false, kg, NP, mg, T.One, k.AsSpan(g * mg * kg), kg, dyt.AsSpan(g * mg * NP), NP, T.Zero, dcol.AsSpan(g * kg * NP), NP, GemmOptions.Default);
        var dx = new T[x.Length];
        foreach (var (ci, xi) in pairs)
            if (xi >= 0) dx[xi] += dcol[ci];
        AssertBits($"{name} ({typeof(T).Name}): dJ/dx", dx, interp.Gradient("x")!.Data);
    }

    /// <summary>"stride: [2, 1], padding: 1" as lists per attribute (one value stands for both axes).</summary>
    private static Dictionary<string, int[]> ParseAttributes(string attrs)
    {
        var result = new Dictionary<string, int[]>();
        foreach (System.Text.RegularExpressions.Match a in System.Text.RegularExpressions.Regex.Matches(attrs, @"(\w+): (\[[^\]]*\]|\d+)"))
        {
            int[] v = [.. a.Groups[2].Value.Trim('[', ']').Split(',').Select(t => int.Parse(t.Trim(), CultureInfo.InvariantCulture))];
            result[a.Groups[1].Value] = v.Length == 1 ? [v[0], v[0], v[0], v[0]] : v;
        }
        return result;
    }

    private static void AssertBits<T>(string what, T[] expected, T[] actual) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Assert.HasCount(expected.Length, actual, what);
        for (int i = 0; i < expected.Length; i++)
            if (!expected[i].Equals(actual[i]) || T.IsNegative(expected[i]) != T.IsNegative(actual[i]))
                Assert.Fail($"{what}[{i}]: expected {expected[i]}, got {actual[i]}");
        Assert.IsTrue(expected.Any(v => !T.IsZero(v)), $"{what}: all zero, the check would be empty");
    }
}
