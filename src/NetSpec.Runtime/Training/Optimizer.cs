using System.Numerics;
using System.Numerics.Tensors;
using NetSpec.Parser.Model;
using NetSpec.Runtime.Execution;
using NetSpec.Runtime.Graph;
using NetSpec.Runtime.Kernels;
using NetSpec.Runtime.Trace;

namespace NetSpec.Runtime.Training;

/// <summary>
/// The parameter update after each backward pass, for every parameter p with gradient g = dJ/dp
/// and learning rate alpha (after the schedule):
/// <list type="bullet">
/// <item><b>sgd</b>: p ← p − alpha g.</item>
/// <item><b>sgd with momentum</b> mu: v ← mu v + g, then p ← p − alpha v (v starts at 0).</item>
/// <item><b>sgd with Nesterov momentum</b>: v ← mu v + g, then p ← p − alpha (g + mu v).</item>
/// <item><b>adam</b> (t = 1, 2, ... counts updates): m ← beta1 m + (1 − beta1) g;
/// v ← beta2 v + (1 − beta2) g²; m̂ = m / (1 − beta1^t); v̂ = v / (1 − beta2^t);
/// p ← p − alpha m̂ / (√v̂ + epsilon) (m and v start at 0).</item>
/// </list>
/// Schedules, with e the 0-based epoch (a spec without training counts each step as an epoch):
/// constant alpha; step alpha gamma^floor(e / step_size); exponential alpha gamma^e.
/// The state (v, m, t) is kept per parameter and saved in checkpoints. This is NetSpec's one
/// update rule: plain gradient descent (the worked examples) is sgd with momentum 0, computed as
/// p += (−alpha) g in one pass (<see cref="Vec.AxpyAllFinite{T}"/>) that also says whether every
/// updated element is finite, split across the interpreter's threads for large parameters
/// (<see cref="VecParallel"/>: the same bits at any thread count). A frozen parameter (<c>trainable: false</c>, <see cref="GraphValue.Trainable"/>)
/// keeps its value and has no state; its gradient is computed as usual, and traced, the update
/// event shows it unchanged.
/// </summary>
public sealed class Optimizer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly NetworkGraph _g;
    private readonly OptimizerDecl _decl;
    private readonly OptimizerSettings _s;
    private readonly int[] _parameters;
    private readonly T[]?[] _old; // the values before the update, kept for the trace only
    private readonly T[]?[] _firstBefore; // the state before the update, kept for the trace only
    private readonly T[]?[] _secondBefore;

    /// <summary>An optimizer for <paramref name="graph"/>'s parameters.</summary>
    /// <param name="graph">The graph whose parameters it updates.</param>
    /// <param name="decl">The spec's optimizer: type, learning rate, settings.</param>
    /// <param name="stopOnNonFinite">
    /// Stop at the first NaN or infinity an update produces (the default); otherwise record the
    /// first one in <see cref="Fault"/> and update every parameter regardless.
    /// </param>
    public Optimizer(NetworkGraph graph, OptimizerDecl decl, bool stopOnNonFinite = true)
    {
        _g = graph;
        _decl = decl;
        StopOnNonFinite = stopOnNonFinite;
        _old = new T[]?[graph.Values.Count];
        _firstBefore = new T[]?[graph.Values.Count];
        _secondBefore = new T[]?[graph.Values.Count];
        _s = decl.Settings;
        var parameters = new List<int>();
        foreach (var v in graph.Values)
            if (v.Kind == ValueKind.Parameter) parameters.Add(v.Index);
        _parameters = [.. parameters];
        First = new T[]?[graph.Values.Count];
        Second = new T[]?[graph.Values.Count];
        foreach (var i in _parameters)
        {
            if (!graph.Values[i].Trainable) continue;
            int n = graph.Values[i].Shape.Length;
            if (decl.Type.Name == "adam")
            {
                First[i] = new T[n];
                Second[i] = new T[n];
            }
            else if (_s.Momentum > 0) First[i] = new T[n];
        }
    }

    /// <summary>Whether <see cref="Step"/> stops at the first NaN or infinity.</summary>
    public bool StopOnNonFinite { get; }

    /// <summary>Momentum v (sgd) or Adam's first moment m, per graph value index; null where unused.</summary>
    public T[]?[] First { get; }

    /// <summary>Adam's second moment v, per graph value index; null where unused.</summary>
    public T[]?[] Second { get; }

    /// <summary>Adam's update count t.</summary>
    public long Updates { get; set; }

    /// <summary>The first NaN or infinity an update produced.</summary>
    public NumericFault? Fault { get; private set; }

    /// <summary>The learning rate in 0-based epoch <paramref name="epoch"/> after the schedule.</summary>
    public double LearningRate(int epoch)
    {
        double lr = _decl.LearningRate.Value;
        return _s.Schedule switch
        {
            { Type.Name: "step" } s => lr * Math.Pow(s.Gamma, epoch / s.StepSize),
            { Type.Name: "exponential" } s => lr * Math.Pow(s.Gamma, epoch),
            _ => lr,
        };
    }

    /// <summary>
    /// Updates every parameter from the interpreter's gradients, emitting one update event per
    /// parameter to <paramref name="trace"/>. False when it stopped at a NaN or infinity.
    /// </summary>
    public bool Step(Interpreter<T> interp, int step, double learningRate, ITraceSink? trace)
    {
        T lr = T.CreateChecked(learningRate);
        bool adam = _decl.Type.Name == "adam";
        T b1 = T.CreateChecked(_s.Beta1), b2 = T.CreateChecked(_s.Beta2), eps = T.CreateChecked(_s.Epsilon);
        T c1 = T.Zero, c2 = T.Zero;
        if (adam)
        {
            Updates++;
            c1 = T.One - T.CreateChecked(Math.Pow(_s.Beta1, Updates));
            c2 = T.One - T.CreateChecked(Math.Pow(_s.Beta2, Updates));
        }
        T mu = T.CreateChecked(_s.Momentum);
        foreach (var i in _parameters)
        {
            if (interp.GradientAt(i) is not { } grad) continue;
            var p = interp.ValueAt(i).Data;
            var g = grad.Data;
            var value = _g.Values[i];
            if (!value.Trainable)
            {
                trace?.Emit(new TraceEvent(TracePhase.Update, step, value.Name, _decl.Type.Name, $"{value.Name} (trainable: false, not updated)", value.Shape, TraceValues.Of(p))
                {
                    Old = TraceValues.Of(p),
                    Gradient = TraceValues.Of(g),
                });
                continue;
            }
            T[]? old = null, firstBefore = null, secondBefore = null;
            if (trace is not null)
            {
                old = _old[i] ??= new T[p.Length];
                p.CopyTo(old.AsSpan());
                // The state before the update, for the explanation of the update (not the trace file).
                if (First[i] is { } f0) f0.CopyTo((firstBefore = _firstBefore[i] ??= new T[f0.Length]).AsSpan());
                if (Second[i] is { } s0) s0.CopyTo((secondBefore = _secondBefore[i] ??= new T[s0.Length]).AsSpan());
            }
            bool? finite = null; // known when the update checked as it went
            if (adam)
            {
                var m = First[i]!;
                var v = Second[i]!;
                T oneMinusB1 = T.One - b1, oneMinusB2 = T.One - b2;
                for (int k = 0; k < p.Length; k++)
                {
                    T gk = g[k];
                    m[k] = b1 * m[k] + oneMinusB1 * gk;
                    v[k] = b2 * v[k] + oneMinusB2 * gk * gk;
                    T mHat = m[k] / c1;
                    T vHat = v[k] / c2;
                    p[k] -= lr * mHat / (T.Sqrt(vHat) + eps);
                }
            }
            else if (First[i] is { } vel)
            {
                TensorPrimitives.MultiplyAdd<T>(vel, mu, g, vel);              // v = mu v + g
                if (_s.Nesterov)
                {
                    for (int k = 0; k < p.Length; k++) p[k] -= lr * (g[k] + mu * vel[k]);
                }
                else Vec.Axpy<T>(-lr, vel, p);
            }
            else finite = VecParallel.AxpyAllFinite<T>(-lr, g, p, interp.Options.Threads);

            if (trace is not null)
            {
                string rate = _decl.LearningRate.Hyperparameter is { } h && learningRate == _decl.LearningRate.Value ? h : Format.Number(learningRate);
                string n = value.Name;
                string expr = adam ? $"{n} - {rate} · m̂/(√v̂ + ε)" : First[i] is not null
                    ? (_s.Nesterov ? $"{n} - {rate} · (dJ/d{n} + μ v)" : $"{n} - {rate} · v") : $"{n} - {rate} · dJ/d{n}";
                trace.Emit(new TraceEvent(TracePhase.Update, step, n, _decl.Type.Name, expr, value.Shape, TraceValues.Of(p))
                {
                    Old = TraceValues.Of(old!),
                    Gradient = TraceValues.Of(g),
                    State = firstBefore is null ? null : new OptimizerState(TraceValues.Of(firstBefore), TraceValues.Of(First[i]!),
                        secondBefore is null ? (TraceValues?)null : TraceValues.Of(secondBefore), Second[i] is { } s1 ? TraceValues.Of(s1) : (TraceValues?)null, adam ? Updates : 0),
                });
            }
            if (!(finite ?? Vec.AllFinite<T>(p)))
            {
                Fault ??= new NumericFault(TracePhase.Update, step, value.Name, _decl.Type.Name, $"the updated parameter {value.Name}", value.Span,
                    [$"{value.Name}: {Summary.Of(value.Shape, TraceValues.Of(p))}", $"dJ/d{value.Name}: {Summary.Of(value.Shape, TraceValues.Of(g))}"]);
                if (StopOnNonFinite) return false;
            }
        }
        return true;
    }
}
