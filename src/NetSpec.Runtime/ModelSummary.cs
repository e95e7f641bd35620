using NetSpec.Parser.Diagnostics;
using NetSpec.Parser.Model;
using NetSpec.Runtime.Graph;
using NetSpec.Runtime.Ops;
using NetSpec.Runtime.Training;

namespace NetSpec.Runtime;

/// <summary>One row of a model summary: a data input or a node, with its shapes, parameters and FLOPs.</summary>
/// <param name="Name">The value's name.</param>
/// <param name="Op">The node's op, or null for a data input.</param>
/// <param name="Expression">How the node computes its value, e.g. "linear(x, W1, b1)"; empty for data.</param>
/// <param name="AtBatch">The shape at the summary's batch size.</param>
/// <param name="PerSample">The shape of one sample (the batch axis left out), or null when the batch axis could not be found.</param>
/// <param name="Parameters">The parameters the node is the first to read (a parameter read by several nodes counts once, at its first).</param>
public sealed record SummaryRow(string Name, Op? Op, string Expression, Shape AtBatch, Shape? PerSample, IReadOnlyList<GraphValue> Parameters)
{
    /// <summary>The number of parameter elements of <see cref="Parameters"/>.</summary>
    public long ParameterCount => Parameters.Sum(p => (long)p.Shape.Length);

    /// <summary>FLOPs of the node at the batch size: forward, and backward for the gradients the run computes.</summary>
    public FlopCount AtBatchFlops { get; init; }

    /// <summary>FLOPs for one sample (a graph of batch 1), or null without a batch axis.</summary>
    public FlopCount? PerSampleFlops { get; init; }
}

/// <summary>Forward and backward FLOPs (see <see cref="OpCost"/> for what is counted).</summary>
public readonly record struct FlopCount(double Forward, double Backward)
{
    public static FlopCount operator +(FlopCount a, FlopCount b) => new(a.Forward + b.Forward, b.Backward + a.Backward);
}

/// <summary>
/// What <c>netspec summary</c> prints (Keras' model.summary()): every data input and node with
/// its op, output shape per sample and at the spec's batch size, the parameters it reads, and
/// FLOPs; totals of parameters (trainable and frozen), FLOPs and bytes.
/// </summary>
/// <remarks>
/// The batch size is a training spec's <c>batch_size</c> (at most the training rows), or for a
/// spec with inline data the leading size of its data. The batch axis of every value is found by
/// building the graph again at another batch size (the dataset's inputs and targets, or the inline
/// data's rows, repeated or cut) and seeing which axis changes; the per-sample figures come from
/// the graph built for one sample. A spec whose graph does not build at another batch size (a
/// shape written for its one batch) has no per-sample figures. Backward FLOPs count the gradients
/// the run computes: every value from the objective down, without dJ/dx of the data in training.
/// </remarks>
public sealed class ModelSummary
{
    private ModelSummary(NetworkGraph graph, int batch, IReadOnlyList<SummaryRow> rows, IReadOnlyList<GraphValue> parameters)
    {
        Graph = graph;
        BatchSize = batch;
        Rows = rows;
        Parameters = parameters;
    }

    public NetworkGraph Graph { get; }

    /// <summary>The batch size of the graph as built (a training spec's batch, or the inline data's rows).</summary>
    public int BatchSize { get; }

    /// <summary>Whether per-sample shapes and FLOPs were found (the graph builds at another batch size).</summary>
    public bool HasPerSample => Rows.All(r => r.PerSample is not null);

    public IReadOnlyList<SummaryRow> Rows { get; }

    /// <summary>Every parameter of the graph, in declaration order.</summary>
    public IReadOnlyList<GraphValue> Parameters { get; }

    /// <summary>Bytes per element: 4 for float32, 8 for float64.</summary>
    public int ElementBytes => Graph.Spec.DType == DType.Float32 ? 4 : 8;

    public long ParameterCount => Parameters.Sum(p => (long)p.Shape.Length);

    public long TrainableCount => Parameters.Where(p => !IsFrozen(Graph, p)).Sum(p => (long)p.Shape.Length);

    public long FrozenCount => ParameterCount - TrainableCount;

    public long ParameterBytes => ParameterCount * ElementBytes;

    /// <summary>Bytes of every node's output at the batch size (what forward keeps for backward).</summary>
    public long ActivationBytes => Rows.Where(r => r.Op is not null).Sum(r => (long)r.AtBatch.Length) * ElementBytes;

    /// <summary>Bytes of the data inputs at the batch size.</summary>
    public long DataBytes => Rows.Where(r => r.Op is null).Sum(r => (long)r.AtBatch.Length) * ElementBytes;

    public FlopCount AtBatchFlops => Rows.Aggregate(default(FlopCount), (a, r) => a + r.AtBatchFlops);

    public FlopCount? PerSampleFlops => HasPerSample ? Rows.Aggregate(default(FlopCount), (a, r) => a + r.PerSampleFlops!.Value) : null;

    /// <summary>
    /// The one place that decides whether a parameter is frozen (not updated by the optimizer):
    /// state an op updates itself (batch_norm's running statistics: Keras' non-trainable
    /// weights). A per-parameter <c>trainable: false</c> belongs here too once the graph carries it.
    /// </summary>
    public static bool IsFrozen(NetworkGraph graph, GraphValue parameter)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(parameter);
        foreach (var n in graph.Nodes)
            for (int i = 0; i < n.Inputs.Length; i++)
                if (n.Inputs[i] == parameter.Index && SlotOf(n.Op, i).State) return true;
        return false;
    }

    private static InputSlot SlotOf(Op op, int input) =>
        op.Inputs.Count == 1 && op.Inputs[0].IsList ? op.Inputs[0] : op.Inputs[Math.Min(input, op.Inputs.Count - 1)];

    /// <summary>The summary of <paramref name="graph"/> (a loaded spec's graph).</summary>
    public static ModelSummary Of(NetworkGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        int batch = BatchOf(graph);
        var one = batch == 1 ? graph : Rebatch(graph, 1);
        // The batch axis is the axis that changes between two batch sizes.
        var other = batch == 1 ? Rebatch(graph, 2) : graph;
        bool found = one is not null && other is not null;
        var rows = new List<SummaryRow>();
        var seen = new HashSet<int>();
        foreach (var v in graph.Values.Where(v => v.Kind == ValueKind.Data))
            rows.Add(new SummaryRow(v.Name, null, "", v.Shape, found ? PerSample(one!, other!, v.Name) : null, []) { PerSampleFlops = found ? default(FlopCount) : null });
        foreach (var n in graph.Nodes)
        {
            var ps = new List<GraphValue>();
            foreach (int i in n.Inputs)
                if (graph.Values[i].Kind == ValueKind.Parameter && seen.Add(i)) ps.Add(graph.Values[i]);
            var output = graph.Values[n.Output];
            rows.Add(new SummaryRow(n.Name, n.Op, n.Expression, output.Shape, found ? PerSample(one!, other!, output.Name) : null, ps)
            {
                AtBatchFlops = Flops(graph, n),
                PerSampleFlops = found ? Flops(one!, one!.Nodes[n.Index]) : null,
            });
        }
        return new ModelSummary(graph, batch, rows, [.. graph.Values.Where(v => v.Kind == ValueKind.Parameter)]);
    }

    /// <summary>A node's forward FLOPs, and its backward FLOPs for the inputs the run takes gradients of.</summary>
    internal static FlopCount Flops(NetworkGraph graph, GraphNode n)
    {
        var shapes = n.Inputs.Select(i => graph.Values[i].Shape).ToList();
        var cost = n.Op.Cost(shapes, graph.Values[n.Output].Shape, n.Attributes);
        double backward = 0;
        bool dataGradients = graph.Spec.Training is null;
        if (graph.NeedsGradient(n.Output, dataGradients))
            for (int i = 0; i < n.Inputs.Length; i++)
                if (n.IsDifferentiable(i) && graph.NeedsGradient(n.Inputs[i], dataGradients) && i < cost.Backward.Count)
                    backward += cost.Backward[i];
        return new FlopCount(cost.Forward, backward);
    }

    /// <summary>The value's shape in the graph of one sample with its batch axis left out (found against <paramref name="other"/>).</summary>
    private static Shape? PerSample(NetworkGraph one, NetworkGraph other, string name)
    {
        if (one.Find(name) is not { } a || other.Find(name) is not { } b) return null;
        if (a.Shape.Rank != b.Shape.Rank) return a.Shape;
        for (int i = 0; i < a.Shape.Rank; i++)
            if (a.Shape[i] != b.Shape[i])
                return new Shape([.. a.Shape.ToArray().Take(i), .. a.Shape.ToArray().Skip(i + 1)]);
        return a.Shape;
    }

    /// <summary>A training spec's batch (its inputs' rows as built), or the leading size of the inline data.</summary>
    private static int BatchOf(NetworkGraph graph)
    {
        if (graph.Dataset is not null && graph.Spec.Dataset is { } d && graph.Find(d.Inputs.Name) is { Shape.Rank: > 0 } x) return x.Shape[0];
        return BatchedRows(graph) ?? graph.Values.FirstOrDefault(v => v.Kind == ValueKind.Data && v.Shape.Rank >= 2)?.Shape[0] ?? 1;
    }

    /// <summary>
    /// The leading size that every inline data value of rank 2 or more shares, or null when there
    /// is none or they differ (independent examples at several batch sizes in one spec).
    /// </summary>
    private static int? BatchedRows(NetworkGraph graph)
    {
        var sizes = graph.Values.Where(v => v.Kind == ValueKind.Data && v.Shape.Rank >= 2).Select(v => v.Shape[0]).Distinct().ToList();
        return sizes.Count == 1 ? sizes[0] : null;
    }

    /// <summary>
    /// The graph at batch size <paramref name="rows"/>, or null when it does not build there:
    /// the dataset's inputs and targets as training builds them, or every inline data value
    /// whose leading size is the batch, its rows repeated or cut. Expectations are left out (their
    /// shapes are the spec's batch's), and it is built in evaluation mode (the same shapes).
    /// </summary>
    internal static NetworkGraph? Rebatch(NetworkGraph graph, int rows)
    {
        SpecDocument spec;
        if (graph.Dataset is { } data && graph.Spec.Dataset is not null)
            spec = TrainingSetup.WithBatch(graph.Spec, data, rows);
        else if (BatchedRows(graph) is { } n)
        {
            var batched = graph.Spec.Data.Select(d =>
            {
                var shape = graph.Find(d.Name)?.Shape;
                if (shape is null || shape.Rank == 0 || shape[0] != n) return d;
                int per = shape.Length / n;
                var dims = shape.ToArray();
                dims[0] = rows;
                var values = new double[rows * per];
                for (int r = 0; r < rows; r++) Array.Copy(d.Value.Values, r % n * per, values, r * per, per);
                return d with { Value = new TensorLiteral(dims, values, d.Value.Span) };
            }).ToList();
            spec = graph.Spec with { Data = batched };
        }
        else return null;
        // Evaluation mode: batch_norm refuses one sample per channel in training mode, but the shapes are the same.
        spec = spec with { Expectations = [], MetricExpectations = [], Mode = RunMode.Eval };
        if (spec.Backward is { Grad: not null } b) spec = spec with { Backward = b with { Grad = null } };
        return GraphBuilder.Build(spec, new DiagnosticBag());
    }
}
