using Onnx;

namespace NetSpec.Onnx;

/// <summary>
/// What real exporters write around the ops themselves, settled at import before a node is
/// mapped onto an op. <see cref="Fold"/> computes shape arithmetic on tensors known at import:
/// torch.onnx.export writes <c>x.view(x.size(0), -1)</c> with a dynamic batch as
/// Shape, Gather, Unsqueeze, Concat, then Reshape; the first four are folded here into the
/// constant int64 shape Reshape reads. An Identity of a constant (batch-norm statistics in
/// PyTorch's exports) is that constant. <see cref="Normalize"/> rewrites nodes whose form
/// NetSpec reads in another way: Pow by a constant 2 is Mul of the input by itself (LayerNorm
/// before opset 17), and the opset-6 <c>broadcast</c> attribute of Gemm, Add, Sub, Mul and Div,
/// which opset 7 made the default, is dropped.
/// </summary>
internal static class OnnxConstantFolding
{
    /// <summary>
    /// Whether <paramref name="node"/> was computed at import: then its outputs are in
    /// <paramref name="tensors"/> as constants and nothing is written to the spec. Only nodes over
    /// constants fold (initializers, Constant nodes, folded outputs; Shape of any tensor), never
    /// over graph inputs, which stay the model's data.
    /// </summary>
    public static bool Fold(NodeProto node, int opset, Dictionary<string, OnnxValue> tensors, string where)
    {
        var ins = node.Input.Select(i => i.Length == 0 ? null : tensors[i]).ToList();
        string output = node.Output[0];
        string what = $"output '{output}' of {where}, folded at import";
        // Integers in the element type of the first integer input (Shape's are int64).
        int type = ins.FirstOrDefault(i => i?.Integers is not null)?.ElemType ?? OnnxTensors.Int64;
        OnnxValue? Ints(int[] dims, long[] values) => new(output, dims, node.OpType == "Shape" ? OnnxTensors.Int64 : type, what) { Integers = values, Known = true };
        // Constants only: integer graph inputs (with test data) are data, computed by the graph's ops or refused there.
        bool Known(int k) => k < ins.Count && ins[k] is { Known: true, Integers: not null, IsGraphInput: false };
        OnnxValue? result = node.OpType switch
        {
            "Shape" when ins.Count == 1 && ins[0] is { } x => ShapeOf(x, node, Ints),
            "Identity" when ins.Count == 1 && ins[0] is { } x && IsConstant(x) => x,
            "Cast" when Known(0) => Cast(ins[0]!, node, output, what),
            "Cast" when ins.Count == 1 && ins[0] is { Known: true, IsGraphInput: true } x && x.KnownValues is { } v => Labels(x, v, node, output, what),
            "Reshape" when ins.Count == 2 && ins[0] is { Known: true, Integers: not null } x && Known(1) => ReshapeIntegers(x, ins[1]!.Integers!, node, output, what),
            "Gather" when Known(0) && Known(1) => Gather(ins[0]!, ins[1]!, (int)Int(node, "axis", 0), Ints),
            "Unsqueeze" when Known(0) && Axes(node, opset, 13, ins) is { } axes => Unsqueeze(ins[0]!, axes, Ints),
            "Squeeze" when Known(0) && Axes(node, opset, 13, ins) is { } axes => Squeeze(ins[0]!, axes, Ints),
            "Concat" when ins.Count > 0 && Enumerable.Range(0, ins.Count).All(Known) => Concat(ins!, (int)Int(node, "axis", 0), Ints),
            "Slice" when Known(0) && ins[0]!.Dims.Length == 1 => Slice(ins[0]!, node, opset, ins, Ints),
            "Add" or "Sub" or "Mul" or "Div" when ins.Count == 2 && Known(0) && Known(1) => Arithmetic(node.OpType, ins[0]!, ins[1]!, Ints),
            "Expand" when ins.Count == 2 && ins[0] is { Values.Length: 1 } x && IsConstant(x) && Known(1) => Expand(x, ins[1]!.Integers!, output, what),
            _ => null,
        };
        if (result is null) return false;
        tensors[output] = result;
        return true;
    }

    /// <summary>
    /// The node as NetSpec maps it and the opset to map it at: Pow by a constant 2 as Mul, an
    /// opset-6 broadcast attribute dropped (the node then maps as at opset 7).
    /// </summary>
    public static (NodeProto Node, int Opset) Normalize(NodeProto node, int opset, IReadOnlyDictionary<string, OnnxValue> tensors)
    {
        if (node.OpType == "Pow" && node.Input.Count == 2 && tensors.TryGetValue(node.Input[1], out var e)
            && e.Known && e.Dims.Aggregate(1, (a, b) => a * b) == 1 && (e.Values is [2] || e.Integers is [2]))
        {
            var mul = node.Clone();
            mul.OpType = "Mul";
            mul.Input[1] = node.Input[0];
            return (mul, opset);
        }
        if (opset < 7 && node.OpType is "Gemm" or "Add" or "Sub" or "Mul" or "Div"
            && node.Attribute.FirstOrDefault(a => a.Name == "broadcast") is { } b && TrailingBroadcast(node, b, tensors))
        {
            var upgraded = node.Clone();
            upgraded.Attribute.Remove(upgraded.Attribute.First(a => a.Name == "broadcast"));
            if (upgraded.Attribute.FirstOrDefault(a => a.Name == "axis") is { } axis) upgraded.Attribute.Remove(axis);
            return (upgraded, 7);
        }
        return (node, opset);
    }

    /// <summary>
    /// Whether an opset-6 broadcast means what opset 7's NumPy broadcasting does: Gemm's C always;
    /// an element-wise op's B when it is aligned with A's trailing axes (no axis, or the axis
    /// rank A - rank B) and each of its dims is A's or 1.
    /// </summary>
    private static bool TrailingBroadcast(NodeProto node, AttributeProto broadcast, IReadOnlyDictionary<string, OnnxValue> tensors)
    {
        if (node.OpType == "Gemm" || broadcast.I == 0) return true;
        if (node.Input.Count != 2 || !tensors.TryGetValue(node.Input[0], out var a) || !tensors.TryGetValue(node.Input[1], out var b)) return false;
        int offset = a.Dims.Length - b.Dims.Length;
        if (offset < 0) return false;
        if (node.Attribute.FirstOrDefault(x => x.Name == "axis") is { } axis && axis.I != offset && axis.I != -b.Dims.Length) return false;
        for (int k = 0; k < b.Dims.Length; k++)
            if (b.Dims[k] != 1 && b.Dims[k] != a.Dims[offset + k]) return false;
        return true;
    }

    /// <summary>A tensor whose values are known at import and not written to the spec yet (an initializer or Constant node).</summary>
    private static bool IsConstant(OnnxValue x) => x.Known && (x.Integers is not null || (x.Values is not null && !x.IsGraphInput && x.NetSpec is null));

    private static long Int(NodeProto node, string name, long fallback) =>
        node.Attribute.FirstOrDefault(a => a.Name == name) is { Type: AttributeProto.Types.AttributeType.Int } a ? a.I : fallback;

    /// <summary>Shape (start and end from opset 15; negative from the end, clamped).</summary>
    private static OnnxValue? ShapeOf(OnnxValue x, NodeProto node, Func<int[], long[], OnnxValue?> ints)
    {
        int r = x.Dims.Length;
        long start = Int(node, "start", 0), end = Int(node, "end", r);
        start = Math.Clamp(start < 0 ? start + r : start, 0, r);
        end = Math.Clamp(end < 0 ? end + r : end, 0, r);
        long[] dims = [.. x.Dims.Skip((int)start).Take((int)Math.Max(0, end - start)).Select(d => (long)d)];
        return ints([dims.Length], dims);
    }

    /// <summary>Cast of integers: to int64 or int32 they stay integers; to float or double they become a float constant.</summary>
    private static OnnxValue? Cast(OnnxValue x, NodeProto node, string output, string what) => Int(node, "to", 0) switch
    {
        OnnxTensors.Int64 or OnnxTensors.Int32 => new OnnxValue(output, x.Dims, (int)Int(node, "to", 0), what) { Integers = x.Integers, Known = true },
        OnnxTensors.Float or OnnxTensors.Double => new OnnxValue(output, x.Dims, (int)Int(node, "to", 0), what)
        {
            Values = [.. x.Integers!.Select(v => (double)v)],
            Comment = $"ONNX {what}",
            Known = true,
        },
        _ => null,
    };

    /// <summary>
    /// Cast to an integer type of a graph input with test data whose values are whole numbers:
    /// class labels kept as floats in the model (NetSpec's own export of nll_loss casts its label
    /// data to int64). The result is still the graph's input, read where a form takes class indices.
    /// </summary>
    private static OnnxValue? Labels(OnnxValue x, double[] values, NodeProto node, string output, string what)
    {
        long to = Int(node, "to", 0);
        if ((int)to is not (OnnxTensors.Int64 or OnnxTensors.Int32) || values.Any(v => v != Math.Floor(v) || Math.Abs(v) > 1L << 53)) return null;
        return new OnnxValue(output, x.Dims, (int)to, what) { Integers = [.. values.Select(v => (long)v)], Known = true, IsGraphInput = true };
    }

    /// <summary>Reshape of known integers (labels) to a constant shape, 0 copying an axis and -1 inferring one as ONNX's allowzero 0.</summary>
    private static OnnxValue? ReshapeIntegers(OnnxValue x, long[] shape, NodeProto node, string output, string what)
    {
        if (Int(node, "allowzero", 0) != 0) return null;
        var dims = new int[shape.Length];
        int infer = -1;
        long known = 1;
        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] == -1) { if (infer >= 0) return null; infer = i; continue; }
            if (shape[i] == 0 && i < x.Dims.Length) dims[i] = x.Dims[i];
            else if (shape[i] > 0 && shape[i] <= int.MaxValue) dims[i] = (int)shape[i];
            else return null;
            known *= dims[i];
        }
        int count = x.Integers!.Length;
        if (infer >= 0)
        {
            if (known == 0 || count % known != 0) return null;
            dims[infer] = (int)(count / known);
        }
        else if (known != count) return null;
        return new OnnxValue(output, dims, x.ElemType, what) { Integers = x.Integers, Known = true, IsGraphInput = x.IsGraphInput };
    }

    /// <summary>The axes of Unsqueeze or Squeeze: an attribute before <paramref name="inputFrom"/>, the constant second input from it.</summary>
    private static long[]? Axes(NodeProto node, int opset, int inputFrom, List<OnnxValue?> ins)
    {
        if (opset < inputFrom) return node.Attribute.FirstOrDefault(a => a.Name == "axes") is { } a ? [.. a.Ints] : [];
        if (ins.Count < 2 || ins[1] is null) return [];
        return ins[1]!.Integers;
    }

    private static OnnxValue? Gather(OnnxValue data, OnnxValue indices, int axis, Func<int[], long[], OnnxValue?> ints)
    {
        int r = data.Dims.Length;
        if (r == 0) return null;
        if (axis < 0) axis += r;
        if (axis < 0 || axis >= r) return null;
        int outer = data.Dims.Take(axis).Aggregate(1, (a, b) => a * b), n = data.Dims[axis];
        int inner = data.Dims.Skip(axis + 1).Aggregate(1, (a, b) => a * b);
        var idx = indices.Integers!;
        var values = new long[outer * idx.Length * inner];
        int k = 0;
        for (int o = 0; o < outer; o++)
            foreach (var i0 in idx)
            {
                long i = i0 < 0 ? i0 + n : i0;
                if (i < 0 || i >= n) return null;
                for (int j = 0; j < inner; j++) values[k++] = data.Integers![(o * n + i) * inner + j];
            }
        return ints([.. data.Dims.Take(axis), .. indices.Dims, .. data.Dims.Skip(axis + 1)], values);
    }

    private static OnnxValue? Unsqueeze(OnnxValue x, long[] axes, Func<int[], long[], OnnxValue?> ints)
    {
        int r = x.Dims.Length + axes.Length;
        var at = axes.Select(a => a < 0 ? a + r : a).ToHashSet();
        if (at.Count != axes.Length || at.Any(a => a < 0 || a >= r)) return null;
        var dims = new List<int>();
        int k = 0;
        for (int i = 0; i < r; i++) dims.Add(at.Contains(i) ? 1 : x.Dims[k++]);
        return ints([.. dims], x.Integers!);
    }

    private static OnnxValue? Squeeze(OnnxValue x, long[] axes, Func<int[], long[], OnnxValue?> ints)
    {
        int r = x.Dims.Length;
        var at = axes.Length == 0 ? Enumerable.Range(0, r).Where(i => x.Dims[i] == 1).Select(i => (long)i).ToHashSet() : axes.Select(a => a < 0 ? a + r : a).ToHashSet();
        if (at.Any(a => a < 0 || a >= r || x.Dims[a] != 1)) return null;
        return ints([.. x.Dims.Where((_, i) => !at.Contains(i))], x.Integers!);
    }

    private static OnnxValue? Concat(List<OnnxValue> parts, int axis, Func<int[], long[], OnnxValue?> ints)
    {
        int r = parts[0].Dims.Length;
        if (r == 0) return null;
        if (axis < 0) axis += r;
        if (axis < 0 || axis >= r || parts.Any(p => p.Dims.Length != r || Enumerable.Range(0, r).Any(i => i != axis && p.Dims[i] != parts[0].Dims[i]))) return null;
        int outer = parts[0].Dims.Take(axis).Aggregate(1, (a, b) => a * b);
        var values = new List<long>();
        for (int o = 0; o < outer; o++)
            foreach (var p in parts)
            {
                int chunk = p.Integers!.Length / Math.Max(1, outer);
                values.AddRange(p.Integers.Skip(o * chunk).Take(chunk));
            }
        var dims = parts[0].Dims.ToArray();
        dims[axis] = parts.Sum(p => p.Dims[axis]);
        return ints(dims, [.. values]);
    }

    /// <summary>Slice of a constant vector: starts, ends (clamped as ONNX does), axes 0 and steps as inputs (opset 10 on) or attributes.</summary>
    private static OnnxValue? Slice(OnnxValue x, NodeProto node, int opset, List<OnnxValue?> ins, Func<int[], long[], OnnxValue?> ints)
    {
        long[]? Input(int k) => k < ins.Count ? ins[k]?.Integers : null;
        long[]? Attr(string name) => node.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? [.. a.Ints] : null;
        var starts = opset >= 10 ? Input(1) : Attr("starts");
        var ends = opset >= 10 ? Input(2) : Attr("ends");
        var axes = opset >= 10 ? Input(3) : Attr("axes");
        var steps = opset >= 10 ? Input(4) : null;
        if (starts is not [var s0] || ends is not [var e0] || axes is not (null or [0 or -1]) || steps is not (null or [_])) return null;
        long step = steps is [var st] ? st : 1;
        if (step == 0) return null;
        long n = x.Dims[0];
        long start = s0 < 0 ? s0 + n : s0, end = e0 < 0 ? e0 + n : e0;
        if (step > 0) { start = Math.Clamp(start, 0, n); end = Math.Clamp(end, 0, n); }
        else { start = Math.Clamp(start, 0, n - 1); end = Math.Clamp(end, -1, n - 1); }
        var values = new List<long>();
        for (long i = start; step > 0 ? i < end : i > end; i += step) values.Add(x.Integers![i]);
        return ints([values.Count], [.. values]);
    }

    /// <summary>Integer Add, Sub, Mul, Div (truncating, as ONNX's integer Div) with NumPy broadcasting of a scalar or one-element side.</summary>
    /// <summary>A one-element float constant expanded to a shape (layer_norm's ones for a missing weight).</summary>
    private static OnnxValue? Expand(OnnxValue x, long[] shape, string output, string what)
    {
        if (shape.Any(d => d < 1 || d > int.MaxValue)) return null;
        long count = shape.Aggregate(1L, (a, b) => a * b);
        if (count > 50_000_000) return null;
        return new OnnxValue(output, [.. shape.Select(d => (int)d)], x.ElemType, what)
        {
            Values = Enumerable.Repeat(x.Values![0], (int)count).ToArray(),
            Known = true,
        };
    }

    private static OnnxValue? Arithmetic(string op, OnnxValue a, OnnxValue b, Func<int[], long[], OnnxValue?> ints)
    {
        var (x, y) = (a.Integers!, b.Integers!);
        int[] dims;
        if (x.Length == y.Length && a.Dims.SequenceEqual(b.Dims)) dims = a.Dims;
        else if (y.Length == 1 && b.Dims.Length <= a.Dims.Length) dims = a.Dims;
        else if (x.Length == 1 && a.Dims.Length <= b.Dims.Length) dims = b.Dims;
        else return null;
        int count = Math.Max(x.Length, y.Length);
        var values = new long[count];
        for (int i = 0; i < count; i++)
        {
            long p = x[x.Length == 1 ? 0 : i], q = y[y.Length == 1 ? 0 : i];
            if (op == "Div" && q == 0) return null;
            values[i] = op switch { "Add" => p + q, "Sub" => p - q, "Mul" => p * q, _ => p / q };
        }
        return ints(dims, values);
    }
}
