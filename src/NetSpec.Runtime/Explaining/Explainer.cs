using NetSpec.Runtime.Explain;
using NetSpec.Runtime.Graph;
using NetSpec.Runtime.Ops;
using NetSpec.Runtime.Trace;
using NetSpec.Runtime.Training;

namespace NetSpec.Runtime.Explaining;

/// <summary>
/// Builds the written-out arithmetic of a run from its trace: a trace sink that keeps one step's
/// values, gradients and updates, and at the end of the step asks each node's op to explain its
/// forward and backward computation (<see cref="Op.ExplainForward"/>, <see cref="Op.ExplainBackward"/>)
/// and the optimizer to explain each update. The numbers explained are the trace's: nothing is
/// recomputed except each node's own share of a gradient that several nodes add to, which is
/// found by running that node's backward alone in float64 on the traced values.
/// </summary>
public sealed class Explainer : ITraceSink
{
    private readonly NetworkGraph _g;
    private readonly ExplainOptions _o;
    private readonly int _batch;
    private readonly bool[] _batched;
    private readonly int[] _samples;
    private readonly List<ExplainStep> _steps = [];
    private readonly List<string> _notes = [];
    private readonly UpdateExplainer _updates;
    private int _step = -1;
    private bool _single;
    private readonly Dictionary<string, TraceEvent> _forward = [];
    private readonly Dictionary<string, TraceEvent> _backward = [];
    private readonly List<TraceEvent> _updateEvents = [];
    private readonly Dictionary<string, bool> _modes = [];

    public Explainer(NetworkGraph graph, ExplainOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        _g = graph;
        _o = options ?? new ExplainOptions();
        _updates = new UpdateExplainer(graph, _o);
        _batch = graph.Values.FirstOrDefault(v => v.Kind == ValueKind.Data && v.Shape.Rank >= 2)?.Shape[0] ?? 1;
        _batched = new bool[graph.Values.Count];
        var dataDependent = new bool[graph.Values.Count];
        foreach (var v in graph.Values)
            if (v.Kind == ValueKind.Data)
            {
                dataDependent[v.Index] = true;
                _batched[v.Index] = _batch >= 1 && v.Shape.Rank >= 2 && v.Shape[0] == _batch;
            }
        foreach (var n in graph.Nodes)
        {
            bool dep = n.Inputs.Any(i => dataDependent[i]);
            dataDependent[n.Output] = dep;
            var s = graph.Values[n.Output].Shape;
            _batched[n.Output] = dep && s.Rank >= 2 && s[0] == _batch && n.Inputs.Any(i => _batched[i]);
        }
        if (_o.Sample is int wanted && wanted > _batch)
            throw new ArgumentOutOfRangeException(nameof(options), $"sample {wanted} is past the batch of {_batch}");
        _samples = _o.Sample switch
        {
            0 => [.. Enumerable.Range(0, _batch)],
            int k => [k - 1],
            null when _batch <= _o.AutoSamples => [.. Enumerable.Range(0, _batch)],
            _ => [0],
        };
        if (_samples.Length < _batch)
            _notes.Add($"The batch has {_batch} samples; sample{(_samples.Length == 1 ? "" : "s")} {string.Join(", ", _samples.Select(s => s + 1))} {(_samples.Length == 1 ? "is" : "are")} written out (--explain-sample N, or 0 for all).");
    }

    /// <summary>The samples in the spec's batch.</summary>
    public int BatchSize => _batch;

    public void Emit(TraceEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        if (e.Phase == TracePhase.Epoch) return;
        if (e.Step != _step)
        {
            Flush();
            _step = e.Step;
        }
        _single |= e.Values.IsSingle;
        var snap = e.Snapshot();
        switch (e.Phase)
        {
            case TracePhase.Forward:
                // A state parameter is traced twice: at the start of the pass, and as updated by its node.
                string key = e.Op == "state" ? e.Name + "@state" : e.Name;
                _forward.TryAdd(key, snap);
                if (e.Mode is { } m) _modes[e.Name] = m == "train";
                break;
            case TracePhase.Backward:
                _backward[e.Name] = snap;
                break;
            case TracePhase.Update:
                _updateEvents.Add(snap);
                break;
        }
    }

    /// <summary>Explains the last step and returns the whole explanation.</summary>
    public ExplainDocument Finish()
    {
        Flush();
        var notes = new List<string>(_notes);
        if (_single) notes.Insert(0, "The spec computes in float32: the numbers are the float32 values of the trace.");
        return new ExplainDocument(_g.Spec.Name, _g.Spec.Description, _o, [.. _steps]) { Notes = notes };
    }

    private bool Wanted(string name) => _o.Nodes is null || _o.Nodes.Contains(name);

    private void Flush()
    {
        if (_step < 0 || (_forward.Count == 0 && _backward.Count == 0 && _updateEvents.Count == 0)) return;
        var blocks = new List<ExplainBlock>();
        foreach (var n in _g.Nodes)
        {
            if (!Wanted(n.Name) || !_forward.ContainsKey(n.Name)) continue;
            var e = NewExplanation(ExplainPhase.Forward, n, null);
            n.Op.ExplainForward(e);
            blocks.Add(new ExplainBlock(ExplainPhase.Forward, n.Name, n.Op.Name, $"{n.Name} = {n.Expression}", e.Items));
        }
        if (_backward.Count > 0) Backward(blocks);
        foreach (var u in _updateEvents)
            if (Wanted(u.Name)) blocks.Add(_updates.Explain(u, _single));
        _steps.Add(new ExplainStep(_step, blocks));
        _forward.Clear();
        _backward.Clear();
        _updateEvents.Clear();
    }

    private void Backward(List<ExplainBlock> blocks)
    {
        // Which nodes add to each value's gradient: more than one, and the sum is written out.
        var consumers = new Dictionary<int, List<GraphNode>>();
        foreach (var n in _g.Nodes)
        {
            if (!_backward.ContainsKey(n.Name)) continue;
            for (int k = 0; k < n.Inputs.Length; k++)
                if (n.IsDifferentiable(k) && _backward.ContainsKey(_g.Values[n.Inputs[k]].Name))
                {
                    if (!consumers.TryGetValue(n.Inputs[k], out var list)) consumers[n.Inputs[k]] = list = [];
                    if (!list.Contains(n)) list.Add(n);
                }
        }
        var parts = new Dictionary<int, List<(string From, double[] Values)>>();
        var root = _g.Values[_g.BackwardFrom];
        if (_backward.TryGetValue(root.Name, out var rootEvent) && Wanted(root.Name))
        {
            var items = new List<ExplainItem>
            {
                new ExplainNote(_g.SeedGradient is null
                    ? $"Backward starts at {root.Name}: dJ/d{root.Name} = 1{(root.Shape.Length > 1 ? " for every entry" : "")}."
                    : $"Backward starts at {root.Name} with the gradient the spec assumes."),
            };
            blocks.Add(new ExplainBlock(ExplainPhase.Backward, root.Name, "start", $"dJ/d{root.Name}", items));
        }
        for (int k = _g.Nodes.Count - 1; k >= 0; k--)
        {
            var n = _g.Nodes[k];
            if (!_backward.ContainsKey(n.Name)) continue;
            if (parts.TryGetValue(n.Output, out var p) && p.Count > 1 && Wanted(n.Name)) blocks.Add(Accumulation(n.Output, p));
            var shares = Shares(n);
            for (int i = 0; i < n.Inputs.Length; i++)
                if (shares[i] is { } s)
                {
                    if (!parts.TryGetValue(n.Inputs[i], out var list)) parts[n.Inputs[i]] = list = [];
                    list.Add((n.Name, s));
                }
            if (!Wanted(n.Name)) continue;
            var e = NewExplanation(ExplainPhase.Backward, n, shares, consumers);
            n.Op.ExplainBackward(e);
            if (e.Items.Count > 0)
                blocks.Add(new ExplainBlock(ExplainPhase.Backward, n.Name, n.Op.Name, $"backward through {n.Name} = {n.Expression}", e.Items));
        }
        foreach (var v in _g.Values)
            if (v.Kind != ValueKind.Node && parts.TryGetValue(v.Index, out var p) && p.Count > 1 && Wanted(v.Name))
                blocks.Add(Accumulation(v.Index, p));
    }

    /// <summary>A gradient several nodes add to: each entry as the sum of the nodes' shares.</summary>
    private ExplainBlock Accumulation(int value, List<(string From, double[] Values)> parts)
    {
        var v = _g.Values[value];
        var total = _backward[v.Name].Values;
        var items = new List<ExplainItem>
        {
            new ExplainNote($"{v.Name} is used by {string.Join(" and ", parts.Select(p => p.From))}: its gradient is the sum of their contributions."),
        };
        int limit = Math.Min(v.Shape.Length, _o.MaxEntries * Math.Max(1, _batched[value] ? _samples.Length : 1));
        for (int i = 0; i < v.Shape.Length && i < limit; i++)
        {
            var index = ExplainTarget.Unflatten(v.Shape, i);
            var sym = new MathGradient(new MathSymbol(v.Name, index.Length == 0 ? null : [.. index.Select(x => x + 1)]));
            items.Add(new ExplainEquation(new MathEquation([sym, new MathSum([.. parts.Select(p => (MathExpr)new MathNumber(p.Values[i], _single))]), new MathNumber(total[i], _single)]))
            {
                Target = new ExplainTarget(v.Name, ExplainKind.Gradient, i),
                Value = total[i],
            });
        }
        if (limit < v.Shape.Length) items.Add(new ExplainNote($"the first {limit} of {v.Shape.Length} entries are written out (--explain-entries N for more)."));
        return new ExplainBlock(ExplainPhase.Backward, v.Name, "sum", $"dJ/d{v.Name} = {string.Join(" + ", parts.Select(p => $"dJ/d{v.Name} (via {p.From})"))}", items);
    }

    private Explanation NewExplanation(ExplainPhase phase, GraphNode n, double[]?[]? shares, Dictionary<int, List<GraphNode>>? consumers = null)
    {
        ExplainTensor T(Explanation owner, string name, TraceValues values, Shape shape, int index, ExplainRole role, bool partial = false) =>
            new(owner, name, shape, values.ToArray(), values.IsSingle, _batched[index], role) { Partial = partial, Via = partial ? n.Name : null };

        return new Explanation(phase, n.Name, n.Attributes, _o, _batched.Any(b => b) ? _batch : 1, _batched.Any(b => b) ? _samples : [0],
            owner => [.. n.Inputs.Select(i => { var v = _g.Values[i]; return T(owner, v.Name, _forward[v.Name].Values, v.Shape, i, ExplainRole.Value); })],
            owner => { var v = _g.Values[n.Output]; return T(owner, v.Name, _forward[v.Name].Values, v.Shape, n.Output, ExplainRole.Value); },
            phase == ExplainPhase.Backward ? owner => { var v = _g.Values[n.Output]; return T(owner, v.Name, _backward[v.Name].Values, v.Shape, n.Output, ExplainRole.Gradient); } : null,
            shares is null ? null : owner =>
            {
                var r = new ExplainTensor?[n.Inputs.Length];
                for (int i = 0; i < r.Length; i++)
                {
                    if (shares[i] is not { } s) continue;
                    var v = _g.Values[n.Inputs[i]];
                    bool partial = consumers!.TryGetValue(v.Index, out var c) && c.Count > 1;
                    // One contributor: the share is the whole gradient, shown as the trace has it.
                    var values = partial || !_backward.TryGetValue(v.Name, out var whole) ? new TraceValues(s) : whole.Values;
                    r[i] = T(owner, v.Name, values, v.Shape, v.Index, ExplainRole.Gradient, partial);
                }
                return r;
            },
            owner =>
            {
                var sides = new Dictionary<string, ExplainTensor>();
                string prefix = n.Name + ".";
                foreach (var (name, ev) in _forward)
                    if (name.StartsWith(prefix, StringComparison.Ordinal))
                        sides[name[prefix.Length..]] = new ExplainTensor(owner, name, ev.Shape, ev.Values.ToArray(), ev.Values.IsSingle, _batched[n.Output] && ev.Shape.Equals(_g.Values[n.Output].Shape), ExplainRole.Value);
                return sides;
            },
            _single);
    }

    /// <summary>
    /// This node's share of each input's gradient: its forward and backward run alone in float64
    /// on the traced inputs and the traced gradient of its output (null where no gradient flows).
    /// </summary>
    private double[]?[] Shares(GraphNode n)
    {
        var inputs = n.Inputs.Select(i => Tensor<double>.FromDoubles(_g.Values[i].Shape, _forward[_g.Values[i].Name].Values.ToArray())).ToArray();
        var grads = new Tensor<double>?[n.Inputs.Length];
        for (int k = 0; k < grads.Length; k++)
            if (n.IsDifferentiable(k) && _backward.ContainsKey(_g.Values[n.Inputs[k]].Name))
                grads[k] = new Tensor<double>(_g.Values[n.Inputs[k]].Shape);
        var outValue = _g.Values[n.Output];
        var output = new Tensor<double>(outValue.Shape);
        var dOut = Tensor<double>.FromDoubles(outValue.Shape, _backward[n.Name].Values.ToArray());
        var run = new RunState { Training = _modes.TryGetValue(n.Name, out bool t) ? t : _g.TrainingMode, Step = _step };
        var ctx = new OpContext<double>(inputs, grads, output, dOut, n.Attributes, default, n.Name, n.Span, run);
        n.Op.RunForward(ctx);
        n.Op.RunBackward(ctx);
        return [.. grads.Select(g => g?.ToDoubles())];
    }
}
