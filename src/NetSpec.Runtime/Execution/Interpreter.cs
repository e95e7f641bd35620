using System.Numerics;
using NetSpec.Parser.Model;
using NetSpec.Runtime.Graph;
using NetSpec.Runtime.Kernels;
using NetSpec.Runtime.Ops;
using NetSpec.Runtime.Trace;

namespace NetSpec.Runtime.Execution;

/// <summary>
/// Runs a <see cref="NetworkGraph"/>: forward in topological order, backward in reverse with
/// gradients accumulated (the first contributor to a gradient overwrites its buffer where its op
/// can, instead of the buffer being cleared first: <see cref="Op.WritesFirstGradient"/>), and compares values and gradients with the spec's expectations. The
/// parameter update and the loop over steps belong to the training layer (<c>StepRunner</c>,
/// <c>Optimizer</c>). Every buffer is allocated once, when the interpreter is built.
/// </summary>
public sealed class Interpreter<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly NetworkGraph _g;
    private readonly InterpreterOptions _options;
    private ITraceSink? _trace;
    private readonly Tensor<T>[] _values;
    private readonly Tensor<T>?[] _grads;
    private readonly OpContext<T>[] _contexts;
    private readonly GraphNode[] _nodes; // an array: no enumerator is allocated per step
    private readonly Tensor<T>[] _checkedGrads; // every input gradient the backward pass writes, once each
    private readonly Tensor<T>[] _cleared; // the gradient buffers cleared before each backward pass (see PlanClears)
    private readonly bool[] _outputCheckImplied; // per node: its output is finite when its checked input is (see PlanChecks)
    private readonly Tensor<T>[]?[] _checkAfter; // per node: the gradient buffers complete after its backward, checked then (see PlanChecks)
    private readonly Tensor<T>[] _checkAtEnd; // the gradient buffers checked once the unchecked pass is done (see PlanChecks)
    private NumericFault? _fault;
    private readonly RunState _run;

    public Interpreter(NetworkGraph graph, InterpreterOptions? options = null, ITraceSink? trace = null)
        : this(graph, options, trace, null)
    {
    }

    /// <summary>
    /// An interpreter whose parameters are the same tensors as <paramref name="shareParameters"/>'s
    /// (training keeps one per batch size, e.g. the partial last batch); its own buffers otherwise.
    /// </summary>
    internal Interpreter(NetworkGraph graph, InterpreterOptions? options, ITraceSink? trace, Interpreter<T>? shareParameters)
    {
        _g = graph;
        _options = options ?? new InterpreterOptions();
        _trace = trace;
        _values = new Tensor<T>[graph.Values.Count];
        foreach (var v in graph.Values)
        {
            if (v.Kind == ValueKind.Parameter && shareParameters is not null)
            {
                _values[v.Index] = shareParameters._values[v.Index];
                continue;
            }
            double[]? init = v.Literal ?? (v.Init is { } decl ? Initializers.Draw(decl) : null);
            _values[v.Index] = init is null ? new Tensor<T>(v.Shape) : Tensor<T>.FromDoubles(v.Shape, init);
        }
        _grads = new Tensor<T>?[graph.Values.Count];
        for (int i = 0; i < _grads.Length; i++)
            if (graph.NeedsGradient(i, _options.DataGradients)) _grads[i] = new Tensor<T>(graph.Values[i].Shape);
        _nodes = [.. graph.Nodes];
        _run = new RunState { Training = graph.TrainingMode, FusedPasses = _options.FusedPasses };
        _contexts = new OpContext<T>[graph.Nodes.Count];
        foreach (var n in graph.Nodes)
        {
            // Loops, not LINQ: the ReadyToRun build would compile LINQ's generic iterators here at start-up.
            var inputs = new Tensor<T>[n.Inputs.Length];
            var inputGrads = new Tensor<T>?[n.Inputs.Length];
            for (int k = 0; k < inputs.Length; k++)
            {
                inputs[k] = _values[n.Inputs[k]];
                inputGrads[k] = n.IsDifferentiable(k) ? _grads[n.Inputs[k]] : null;
            }
            _contexts[n.Index] = new OpContext<T>(inputs, inputGrads, _values[n.Output], _grads[n.Output], n.Attributes,
                GemmOptions.WithThreads(_options.Threads), n.Name, n.Span, _run);
        }
        var written = new List<Tensor<T>>();
        var seen = new HashSet<Tensor<T>>(ReferenceEqualityComparer.Instance);
        foreach (var n in graph.Nodes)
        {
            if (_grads[n.Output] is null) continue;
            for (int i = 0; i < n.Inputs.Length; i++)
                if (_contexts[n.Index].InputGrad(i) is { } gi && seen.Add(gi))
                    written.Add(gi);
        }
        _checkedGrads = [.. written];
        _cleared = PlanClears();
        (_outputCheckImplied, _checkAfter, _checkAtEnd) = PlanChecks();
    }

    /// <summary>
    /// Where the untraced passes check for NaN and infinity, with <see cref="InterpreterOptions.FusedPasses"/>
    /// (off, every node output is checked after its node and every gradient buffer at the end of
    /// the backward pass). A relu's output is not checked when its input is a node's output,
    /// checked just before: relu of a finite value is finite. Each gradient buffer is checked
    /// right after its last contributor in the pass, while it is still in the cache, instead of
    /// all of them at the end; a buffer only a relu wrote (overwriting it) from a checked output
    /// gradient is not checked (it holds that gradient or zeros). Either way a NaN or infinity
    /// anywhere is found, and the pass is then run again with the check after every node, which
    /// names the node that produced it (see <see cref="Backward"/>).
    /// </summary>
    private (bool[] OutputImplied, Tensor<T>[]?[] CheckAfter, Tensor<T>[] CheckAtEnd) PlanChecks()
    {
        var implied = new bool[_nodes.Length];
        var after = new Tensor<T>[]?[_nodes.Length];
        if (!_options.FusedPasses) return (implied, after, _checkedGrads); // the plain plan: every buffer once the pass is done
        foreach (var n in _nodes)
            implied[n.Index] = n.Op is Relu && n.Inputs.Length == 1 && _g.Values[n.Inputs[0]].Kind == ValueKind.Node;
        var writers = new Dictionary<Tensor<T>, List<GraphNode>>(ReferenceEqualityComparer.Instance);
        foreach (var n in _nodes)
        {
            if (_grads[n.Output] is null) continue;
            for (int i = 0; i < n.Inputs.Length; i++)
                if (_contexts[n.Index].InputGrad(i) is { } gi)
                {
                    if (!writers.TryGetValue(gi, out var list)) writers[gi] = list = [];
                    if (!list.Contains(n)) list.Add(n);
                }
        }
        var checkedSet = new HashSet<Tensor<T>>(_checkedGrads, ReferenceEqualityComparer.Instance);
        var lists = new List<Tensor<T>>?[_nodes.Length];
        foreach (var g in _checkedGrads)
        {
            var ws = writers[g];
            var last = ws[0]; // the backward pass runs the nodes in reverse: the last contributor comes first in the graph
            foreach (var w in ws)
                if (w.Index < last.Index) last = w;
            bool reluOnly = ws.Count == 1 && last.Op is Relu && _contexts[last.Index].Overwrites(0)
                && _grads[last.Output] is { } dOut && checkedSet.Contains(dOut) && !ReferenceEquals(dOut, g);
            if (reluOnly) continue;
            (lists[last.Index] ??= []).Add(g);
        }
        for (int k = 0; k < lists.Length; k++)
            if (lists[k] is { } l) after[k] = [.. l];
        return (implied, after, []);
    }

    /// <summary>
    /// Which gradient buffers the backward pass clears: every one except the objective's (filled
    /// with the seed) and those whose first contributor, in the pass's order, overwrites them
    /// (<see cref="OpContext{T}.Overwrites"/>). A node overwrites an input's gradient when its op
    /// has <see cref="Op.WritesFirstGradient"/>, no node before it in the pass wrote that buffer,
    /// and no other input of the node shares the buffer (a value listed twice accumulates).
    /// </summary>
    private Tensor<T>[] PlanClears()
    {
        var touched = new HashSet<Tensor<T>>(ReferenceEqualityComparer.Instance);
        var overwritten = new HashSet<Tensor<T>>(ReferenceEqualityComparer.Instance);
        if (_g.BackwardFrom >= 0 && _grads[_g.BackwardFrom] is { } root) touched.Add(root);
        for (int k = _nodes.Length - 1; k >= 0 && _g.BackwardFrom >= 0; k--)
        {
            var n = _nodes[k];
            if (_grads[n.Output] is null) continue;
            var ctx = _contexts[n.Index];
            bool[]? flags = null;
            for (int i = 0; i < n.Inputs.Length; i++)
            {
                if (ctx.InputGrad(i) is not { } gi || touched.Contains(gi)) continue;
                bool shared = false;
                for (int j = 0; j < n.Inputs.Length; j++)
                    if (j != i && ReferenceEquals(ctx.InputGrad(j), gi)) shared = true;
                if (_options.FirstWriterOverwrites && n.Op.WritesFirstGradient && !shared)
                {
                    (flags ??= new bool[n.Inputs.Length])[i] = true;
                    overwritten.Add(gi);
                }
            }
            for (int i = 0; i < n.Inputs.Length; i++)
                if (ctx.InputGrad(i) is { } gi) touched.Add(gi);
            ctx.SetOverwrites(flags);
        }
        var cleared = new List<Tensor<T>>();
        foreach (var g in _grads)
            if (g is not null && !overwritten.Contains(g) && !(_g.BackwardFrom >= 0 && ReferenceEquals(g, _grads[_g.BackwardFrom])))
                cleared.Add(g);
        return [.. cleared];
    }

    public NetworkGraph Graph => _g;

    /// <summary>How this interpreter runs (the step loop and the update follow its <see cref="InterpreterOptions.StopOnNonFinite"/>).</summary>
    public InterpreterOptions Options => _options;

    /// <summary>Where the per-value trace goes; null traces nothing (training switches it per step).</summary>
    public ITraceSink? Trace
    {
        get => _trace;
        set => _trace = value;
    }

    /// <summary>
    /// Whether the passes run in training mode (<see cref="OpContext{T}.Training"/>); it starts as
    /// the spec says (<see cref="NetworkGraph.TrainingMode"/>), and a training run switches it off
    /// to evaluate its validation and test splits.
    /// </summary>
    public bool Training
    {
        get => _run.Training;
        set => _run.Training = value;
    }

    /// <summary>The current value of a data input, parameter or node.</summary>
    public Tensor<T> Value(string name) => _values[Index(name)];

    /// <summary>dJ/d(name) from the last backward pass, or null when none flows there.</summary>
    public Tensor<T>? Gradient(string name) => _grads[Index(name)];

    /// <summary>The value at graph index <paramref name="index"/> (no name lookup, for the training loop).</summary>
    internal Tensor<T> ValueAt(int index) => _values[index];

    /// <summary>The gradient at graph index <paramref name="index"/>, or null.</summary>
    internal Tensor<T>? GradientAt(int index) => _grads[index];

    /// <summary>The context node <paramref name="n"/> runs with (for tests of the backward plan).</summary>
    internal OpContext<T> ContextOf(GraphNode n) => _contexts[n.Index];

    /// <summary>Whether the last pass produced a NaN or infinity, and where.</summary>
    public NumericFault? Fault => _fault;

    private int Index(string name) =>
        _g.Find(name)?.Index ?? throw new ArgumentException($"the graph has no value '{name}'", nameof(name));

    /// <summary>The forward pass. False when it stopped at a NaN or infinity.</summary>
    /// <remarks>
    /// The step is what random masks are drawn from (<see cref="OpContext{T}.Step"/>). Traced, each
    /// node's output is followed by the side values its op wrote (dropout's mask, batch_norm's
    /// batch statistics) and, in training mode, the new values of the state it updated.
    /// </remarks>
    public bool Forward(int step)
    {
        _run.Step = step;
        if (_trace is not null)
            foreach (var v in _g.Values)
                if (v.Kind != ValueKind.Node)
                    Emit(TracePhase.Forward, step, v.Name, v.Kind == ValueKind.Data ? "data" : "parameter", v.Name, _values[v.Index]);
        foreach (var n in _nodes)
        {
            var ctx = _contexts[n.Index];
            if (_trace is not null) ctx.ClearSides();
            n.Op.RunForward(ctx);
            var output = _values[n.Output];
            if (_trace is not null) EmitNode(step, n, ctx, output);
            if (_trace is null && _outputCheckImplied[n.Index]) continue;
            if (!VecParallel.AllFinite<T>(output.Data, _options.Threads) && !Faulted(TracePhase.Forward, step, n, $"its output {n.Name}"))
                return false;
        }
        return true;
    }

    private void EmitNode(int step, GraphNode n, OpContext<T> ctx, Tensor<T> output)
    {
        Emit(TracePhase.Forward, step, n.Name, n.Op.Name, n.Expression, output);
        foreach (var side in ctx.Sides)
            if (side.Written) Emit(TracePhase.Forward, step, $"{n.Name}.{side.Label}", n.Op.Name, side.Expression, side.Value);
        if (!_run.Training) return;
        for (int i = 0; i < n.Inputs.Length; i++)
        {
            var slot = n.Op.Inputs[Math.Min(i, n.Op.Inputs.Count - 1)];
            if (!slot.State) continue;
            var v = _g.Values[n.Inputs[i]];
            Emit(TracePhase.Forward, step, v.Name, "state", slot.StateRule.Replace("{value}", v.Name, StringComparison.Ordinal).Replace("{node}", n.Name, StringComparison.Ordinal), _values[v.Index]);
        }
    }

    /// <summary>The backward pass from the objective or the assumed gradient. False when it stopped at a NaN or infinity.</summary>
    /// <remarks>
    /// Untraced, the pass runs without a check after every node and checks each gradient buffer
    /// once, after its last contributor (<see cref="PlanChecks"/>). Ops only accumulate into input
    /// gradients, so a buffer that held a NaN or infinity after some node still holds one at the
    /// end (a node that overwrites a buffer is its first contributor in the pass, see
    /// <see cref="PlanClears"/>); when one does, the pass is run
    /// again (it starts from the same cleared buffers and reads values it never changes, so it
    /// computes the same numbers) with the check after every node, which names the node that
    /// produced it.
    /// </remarks>
    public bool Backward(int step)
    {
        if (_trace is null && BackwardPass(step, checkEachNode: false)) return true;
        return BackwardPass(step, checkEachNode: true);
    }

    /// <summary>
    /// One backward pass. Unchecked (<paramref name="checkEachNode"/> false, untraced), it checks
    /// the gradient buffers where <see cref="PlanChecks"/> put their checks and stops at the first
    /// NaN or infinity, returning false (the caller runs the pass again, checked); checked, it
    /// checks every input gradient after every node and names the node that produced a NaN or
    /// infinity (false when it stopped there).
    /// </summary>
    private bool BackwardPass(int step, bool checkEachNode)
    {
        foreach (var g in _cleared) VecParallel.Clear<T>(g.Data, _options.Threads);
        var root = _grads[_g.BackwardFrom]!;
        if (_g.SeedGradient is { } seed)
            for (int i = 0; i < seed.Length; i++) root[i] = T.CreateChecked(seed[i]);
        else
            root.Data.AsSpan().Fill(T.One);
        for (int k = _g.Nodes.Count - 1; k >= 0; k--)
        {
            var n = _g.Nodes[k];
            var dOut = _grads[n.Output];
            if (dOut is null) continue;
            if (_trace is not null) Emit(TracePhase.Backward, step, n.Name, n.Op.Name, $"dJ/d{n.Name}", dOut);
            n.Op.RunBackward(_contexts[n.Index]);
            if (!checkEachNode)
            {
                if (_checkAfter[n.Index] is { } checks && _trace is null)
                    foreach (var g in checks)
                        if (!VecParallel.AllFinite<T>(g.Data, _options.Threads)) return false;
                continue;
            }
            for (int i = 0; i < n.Inputs.Length; i++)
            {
                if (_contexts[n.Index].InputGrad(i) is { } gi && !Vec.AllFinite<T>(gi.Data)
                    && !Faulted(TracePhase.Backward, step, n, $"the gradient of its input {_g.Values[n.Inputs[i]].Name}"))
                    return false;
            }
        }
        if (!checkEachNode && _trace is null)
            foreach (var g in _checkAtEnd)
                if (!VecParallel.AllFinite<T>(g.Data, _options.Threads)) return false;
        if (_trace is not null)
            foreach (var v in _g.Values)
                if (v.Kind != ValueKind.Node && _grads[v.Index] is { } gv)
                    Emit(TracePhase.Backward, step, v.Name, v.Kind == ValueKind.Data ? "data" : "parameter", $"dJ/d{v.Name}", gv);
        return true;
    }

    private bool Faulted(TracePhase phase, int step, GraphNode n, string what)
    {
        // The fault points at the node's name, as shape errors do.
        _fault ??= new NumericFault(phase, step, n.Name, n.Op.Name, what, _g.Values[n.Output].Span,
            [.. n.Inputs.Select(i => $"{_g.Values[i].Name}: {Summary.Of(_g.Values[i].Shape, TraceValues.Of(_values[i]))}")]);
        return !_options.StopOnNonFinite;
    }

    private void Emit(TracePhase phase, int step, string name, string op, string expression, Tensor<T> t) =>
        _trace!.Emit(new TraceEvent(phase, step, name, op, expression, t.Shape, TraceValues.Of(t)) { Mode = _g.UsesMode ? TraceEvent.ModeName(_run.Training) : null });

    /// <summary>
    /// Compares the current values (<paramref name="kind"/> forward or updated) or gradients with
    /// the expectations of that kind for <paramref name="step"/> (<see cref="BoundExpectation.Step"/>;
    /// updated values after that step's update).
    /// </summary>
    public void CheckExpectations(ExpectKind kind, int step, ICollection<ExpectationResult> results)
    {
        foreach (var e in _g.Expectations)
        {
            if (e.Spec.Kind != kind || e.Step != step || e.Spec.Epoch > 0) continue;
            var t = kind == ExpectKind.Gradient ? _grads[e.Value] : _values[e.Value];
            double[] actual = t?.ToDoubles() ?? new double[e.Spec.Value.Values.Length];
            results.Add(Compare(e, actual));
        }
    }

    /// <summary>Compares the current parameters with the updated expectations for the end of training epoch <paramref name="epoch"/> (from 1).</summary>
    public void CheckEpochExpectations(int epoch, ICollection<ExpectationResult> results)
    {
        foreach (var e in _g.Expectations)
            if (e.Spec.Epoch == epoch && e.Spec.Kind == ExpectKind.Updated)
                results.Add(Compare(e, _values[e.Value].ToDoubles()));
    }

    /// <summary>
    /// Passes when every element is within its allowance: numpy's allclose rule
    /// |actual - expected| &lt;= atol + rtol |expected| when the expectation has one
    /// (<see cref="Expectation.AllClose"/>), else tolerance * max(1, |expected|) (<c>tolerance:</c>,
    /// absolute below 1 and relative above). The worst element is the one farthest outside its
    /// allowance (nearest to it when all pass).
    /// </summary>
    public static ExpectationResult Compare(BoundExpectation e, double[] actual)
    {
        var expected = e.Spec.Value.Values;
        double tol = e.Spec.Tolerance;
        var rule = e.Spec.AllClose;
        bool passed = true;
        int worst = 0;
        double worstRatio = -1, worstError = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double err = Math.Abs(actual[i] - expected[i]);
            double allowance = rule is { } r ? r.ATol + r.RTol * Math.Abs(expected[i]) : tol * Math.Max(1, Math.Abs(expected[i]));
            // An infinite or NaN expected value (the parser refuses them; a graph built in code
            // may not) equals only itself: its tolerance would be infinite, passing anything.
            bool ok = actual[i].Equals(expected[i]) || (double.IsFinite(expected[i]) && err <= allowance);
            double ratio = double.IsNaN(err) || !double.IsFinite(allowance) ? double.PositiveInfinity : err / (allowance + 1e-300);
            if (!ok) passed = false;
            if (ratio > worstRatio)
            {
                worstRatio = ratio;
                worst = i;
                worstError = err;
            }
        }
        return new ExpectationResult(e, passed, actual, worst, worstError);
    }
}
