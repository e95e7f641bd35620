using NetSpec.Runtime.Graph;
using NetSpec.Runtime.Ops;

namespace NetSpec.Onnx;

/// <summary>
/// Which axes of an exported graph's inputs and outputs follow the batch, so the model declares
/// them symbolic (<c>N</c>) and ONNX Runtime serves any batch size. Data rows are samples: axis 0
/// of every data input of rank 1 or more is the batch. The exported nodes' shape rules
/// (<see cref="NetSpec.Runtime.Ops.Op.Setup"/>) are run again with that axis set to a probe size
/// no shape of the graph has; an axis of a value whose size changes follows the batch. When a
/// rule refuses the probe (the batch is contracted with a parameter, as in a gemm over A^T, or
/// reshaped to a fixed shape), the batch cannot vary and every dimension stays fixed.
/// </summary>
internal static class OnnxBatchAxes
{
    /// <summary>The name of the symbolic batch dimension.</summary>
    public const string Batch = "N";

    /// <summary>
    /// For each value whose shape follows the batch, per axis: <see cref="Batch"/> for an axis
    /// that is the batch, "" for one that follows it otherwise (a batch flattened into another
    /// axis: written as an unknown dimension), null for a fixed axis. Empty when the batch cannot vary.
    /// </summary>
    public static Dictionary<int, string?[]> Find(NetworkGraph graph, IReadOnlyList<GraphNode> nodes, IEnumerable<GraphValue> data)
    {
        var batched = data.Where(v => v.Shape.Rank >= 1).ToList();
        if (batched.Count == 0) return [];
        int probe = Probe(graph);
        var shapes = new Dictionary<int, Shape>();
        foreach (var v in graph.Values.Where(v => v.Kind != ValueKind.Node)) shapes[v.Index] = v.Shape;
        foreach (var v in batched)
        {
            var dims = v.Shape.ToArray();
            dims[0] = probe;
            shapes[v.Index] = new Shape(dims);
        }
        foreach (var n in nodes)
        {
            var ins = n.Inputs.Select(i => shapes[i]).ToList();
            ShapeResult r;
            try
            {
                r = n.Op.Setup(ins, [.. n.Inputs.Select(i => graph.Values[i].Name)], n.Attributes);
            }
            catch (ArgumentException)
            {
                return [];
            }
            if (r.Shape is not { } s || s.Rank != graph.Values[n.Output].Shape.Rank) return [];
            shapes[n.Output] = s;
        }
        var result = new Dictionary<int, string?[]>();
        foreach (var (index, probed) in shapes)
        {
            var original = graph.Values[index].Shape;
            if (probed.Equals(original)) continue;
            var axes = new string?[original.Rank];
            for (int k = 0; k < axes.Length; k++)
                axes[k] = probed[k] == original[k] ? null : probed[k] == probe ? Batch : "";
            result[index] = axes;
        }
        return result;
    }

    /// <summary>A batch size no dimension of the graph has: the least prime above all of them (a prime, so no product of other dimensions gives it).</summary>
    private static int Probe(NetworkGraph graph)
    {
        int max = graph.Values.SelectMany(v => v.Shape.ToArray()).DefaultIfEmpty(1).Max();
        for (int p = Math.Max(max + 1, 3); ; p++)
            if (IsPrime(p)) return p;
    }

    private static bool IsPrime(int p)
    {
        for (int d = 2; (long)d * d <= p; d++)
            if (p % d == 0) return false;
        return true;
    }
}
