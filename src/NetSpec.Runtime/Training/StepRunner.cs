using System.Numerics;
using NetSpec.Parser.Model;
using NetSpec.Runtime.Execution;

namespace NetSpec.Runtime.Training;

/// <summary>What running a spec's steps found: every expectation's result, and the first NaN or infinity.</summary>
public sealed record StepsResult(IReadOnlyList<ExpectationResult> Expectations, NumericFault? Fault);

/// <summary>
/// Runs the optimizer steps of a spec without training (the worked examples): for every step,
/// forward, the forward expectations, backward, the gradient expectations, then the update of
/// the spec's optimizer (plain gradient descent is sgd with momentum 0) and the updated
/// expectations for that step. The interpreter's trace receives every event of the traced steps
/// (every step, or the spec's <c>trace:</c> selection), the updates' too. With <see cref="InterpreterOptions.StopOnNonFinite"/> off, the run goes on past a NaN or
/// infinity and reports the first one.
/// </summary>
public sealed class StepRunner<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Interpreter<T> _interp;
    private NumericFault? _fault;
    private readonly TrainingTraceDecl? _traceSteps;

    /// <summary>A runner of <paramref name="interpreter"/>'s steps.</summary>
    /// <param name="interpreter">The interpreter, with its trace sink (null traces nothing).</param>
    /// <param name="traceSteps">The steps traced (listed, and every <c>Every</c>-th); null for the spec's <c>trace:</c>, which traces every step when left out.</param>
    public StepRunner(Interpreter<T> interpreter, TrainingTraceDecl? traceSteps = null)
    {
        _interp = interpreter;
        _traceSteps = traceSteps ?? interpreter.Graph.Spec.Trace;
        if (interpreter.Graph.Optimizer is { } decl)
            Optimizer = new Optimizer<T>(interpreter.Graph, decl, interpreter.Options.StopOnNonFinite);
    }

    public Interpreter<T> Interpreter => _interp;

    /// <summary>The spec's optimizer; null for a spec without one.</summary>
    public Optimizer<T>? Optimizer { get; }

    /// <summary>Every step the spec asks for, with its expectations checked.</summary>
    public StepsResult Run()
    {
        var results = new List<ExpectationResult>();
        int steps = _interp.Graph.Steps;
        var sink = _interp.Trace;
        try
        {
            for (int step = 1; step <= steps; step++)
            {
                if (_traceSteps is { } t) _interp.Trace = t.Steps.Contains(step) || (t.Every > 0 && step % t.Every == 0) ? sink : null;
                if (!Step(step, results)) return new StepsResult(results, _fault);
            }
        }
        finally
        {
            _interp.Trace = sink;
        }
        return new StepsResult(results, _fault);
    }

    /// <summary>
    /// One step: forward, backward and update, checking the expectations for that step into
    /// <paramref name="results"/> when given. False when it stopped at a NaN or infinity.
    /// </summary>
    public bool Step(int step, ICollection<ExpectationResult>? results = null)
    {
        bool ok = _interp.Forward(step);
        _fault ??= _interp.Fault;
        if (!ok) return false;
        if (results is not null) _interp.CheckExpectations(ExpectKind.Forward, step, results);
        if (_interp.Graph.BackwardFrom < 0) return true;
        ok = _interp.Backward(step);
        _fault ??= _interp.Fault;
        if (!ok) return false;
        if (results is not null) _interp.CheckExpectations(ExpectKind.Gradient, step, results);
        if (Optimizer is null) return true;
        ok = Optimizer.Step(_interp, step, Optimizer.LearningRate(step - 1), _interp.Trace);
        _fault ??= Optimizer.Fault;
        if (ok && results is not null) _interp.CheckExpectations(ExpectKind.Updated, step, results);
        return ok;
    }

    /// <summary>The first NaN or infinity so far, in the order they were produced.</summary>
    public NumericFault? Fault => _fault;
}
