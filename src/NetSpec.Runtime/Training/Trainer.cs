using System.Diagnostics;
using System.Numerics;
using System.Text.Json;
using NetSpec.Parser.Diagnostics;
using NetSpec.Parser.Model;
using NetSpec.Runtime.Execution;
using NetSpec.Runtime.Graph;
using NetSpec.Runtime.Trace;

namespace NetSpec.Runtime.Training;

/// <summary>
/// Trains a network on its dataset: epochs of mini-batches (the last one may be partial), the
/// training samples shuffled each epoch by a permutation derived from (seed, epoch) alone, so a
/// resumed run needs no generator state. One interpreter per batch size shares the parameter
/// tensors; every buffer is planned once, nothing is allocated per step once all batch sizes
/// have been seen. Metrics per epoch, early stopping on the validation loss, atomic
/// checkpoints, the trained-parameters file, and the full trace at the chosen steps.
/// </summary>
public sealed class Trainer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly NetworkGraph _graph;
    private readonly LoadedDataset _data;
    private readonly TrainingDecl _t;
    private readonly TrainingRunOptions _run;
    private readonly ITraceSink? _trace;
    private readonly Interpreter<T> _main;
    private readonly Dictionary<int, Interpreter<T>> _byRows = [];
    private readonly Optimizer<T> _optimizer;
    private readonly int _batch, _inputs, _targets, _objective, _accuracy;
    private readonly int[] _parameters;
    private readonly T[] _trainX, _trainY;
    private readonly int[] _trainClass; // each training sample's target class (argmax, the first on ties), found once
    private readonly HashSet<int> _tracedSteps;
    private NumericFault? _fault;
    private readonly List<ExpectationResult> _expectations = [];

    /// <summary>The spec's value checks at chosen steps and epochs (parameters' gradients and updated values), as training met them.</summary>
    public IReadOnlyList<ExpectationResult> Expectations => _expectations;

    public Trainer(NetworkGraph graph, LoadedDataset data, TrainingRunOptions? run = null, ITraceSink? trace = null)
    {
        _graph = graph;
        _data = data;
        _t = graph.Spec.Training ?? throw new ArgumentException("the spec has no training section", nameof(graph));
        _run = run ?? new TrainingRunOptions();
        _trace = trace;
        var d = graph.Spec.Dataset!;
        _inputs = graph.Find(d.Inputs.Name)!.Index;
        _targets = graph.Find(d.Targets.Name)!.Index;
        _objective = graph.BackwardFrom;
        _accuracy = _t.AccuracyOf is { } a ? graph.Find(a.Name)!.Index : -1;
        _batch = graph.Values[_inputs].Shape.Rows;
        _main = new Interpreter<T>(graph, Options, null, null);
        _byRows[_batch] = _main;
        _optimizer = new Optimizer<T>(graph, graph.Spec.Optimizer!);
        _parameters = [.. graph.Values.Where(v => v.Kind == ValueKind.Parameter).Select(v => v.Index)];
        _trainX = Convert(data.Train.Features);
        _trainY = Convert(data.Train.Targets);
        _trainClass = new int[data.Train.Rows];
        for (int r = 0; r < _trainClass.Length; r++) _trainClass[r] = ArgMax(_trainY.AsSpan(r * data.ClassCount, data.ClassCount));
        _tracedSteps = [.. _t.Trace.Steps];
    }

    private InterpreterOptions Options => new() { DataGradients = false, StopOnNonFinite = true, Threads = _run.Threads };

    private static T[] Convert(double[] v)
    {
        var r = new T[v.Length];
        for (int i = 0; i < v.Length; i++) r[i] = T.CreateChecked(v[i]);
        return r;
    }

    /// <summary>The current parameters, by name (shared by every batch size).</summary>
    public IReadOnlyList<(string Name, Tensor<T> Value)> Parameters =>
        [.. _parameters.Select(i => (_graph.Values[i].Name, _main.ValueAt(i)))];

    /// <summary>The permutation of the training samples in 0-based <paramref name="epoch"/>: a function of (seed, epoch) only.</summary>
    public static void EpochPermutation(ulong seed, int epoch, Span<int> perm) =>
        new Rng(seed ^ (0x9E3779B97F4A7C15UL * (ulong)(epoch + 1))).Permutation(perm);

    private Interpreter<T> For(int rows)
    {
        if (_byRows.TryGetValue(rows, out var i)) return i;
        var diagnostics = new DiagnosticBag();
        var graph = GraphBuilder.Build(TrainingSetup.WithBatch(_graph.Spec, _data, rows), diagnostics)
            ?? throw new InvalidOperationException($"the graph for a batch of {rows} did not build: {string.Join("; ", diagnostics.Items)}");
        i = new Interpreter<T>(graph, Options, null, _main);
        _byRows[rows] = i;
        return i;
    }

    private string? _identity;

    /// <summary>What a checkpoint of this run resumes (see <see cref="RunIdentity"/>), computed once.</summary>
    private string Identity => _identity ??= RunIdentity.Of(_graph, _data, ParameterFile.DTypeName<T>());

    private bool Traced(int step) => _tracedSteps.Contains(step) || (_t.Trace.Every > 0 && step % _t.Trace.Every == 0);

    private string? OutputPath(PathRef? p)
    {
        if (p is null || !_run.WriteFiles) return null;
        return Path.Combine(_run.OutputDirectory ?? Path.GetDirectoryName(_graph.Spec.Path) ?? "", p.Path);
    }

    /// <summary>
    /// Trains for the spec's epochs (or until early stopping, or until the loss diverges) and
    /// evaluates the test split.
    /// </summary>
    public (TrainingReport Report, NumericFault? Fault) Train()
    {
        try
        {
            return TrainCore();
        }
        finally
        {
            // Left by an exception (an interrupted run): the checkpoint in flight is finished or fails
            // as it would have, before the caller goes on; its epoch lines are not printed.
            if (_writing is { } w)
            {
                _writing = null;
                _linesAfter.Clear();
                try { w.Wait(); } catch (AggregateException) { }
            }
        }
    }

    // The checkpoint being written on another thread while training goes on, and the epoch lines
    // that wait for it: a line is printed only once every checkpoint up to its epoch is on disk,
    // and a note, the next checkpoint and the end of training wait for the write, so lines and
    // notes come in the order of a run that writes each checkpoint before it goes on. Trace
    // events (a file or a sink of their own in a training run) are emitted as they happen.
    private Task? _writing;
    private readonly List<EpochMetrics> _linesAfter = [];
    private readonly Checkpoint.Snapshot<T> _snapshot = new();

    /// <summary>Ends the checkpoint in flight (when <paramref name="wait"/>, or once it has ended by itself) and prints the epoch lines that waited for it; a failed write throws here.</summary>
    private void Settle(bool wait)
    {
        if (_writing is not { } w || (!wait && !w.IsCompleted)) return;
        _writing = null;
        w.GetAwaiter().GetResult();
        foreach (var line in _linesAfter) _run.OnEpoch?.Invoke(line);
        _linesAfter.Clear();
    }

    private void Note(string note)
    {
        Settle(wait: true);
        _run.OnNote?.Invoke(note);
    }

    private void EpochLine(EpochMetrics m)
    {
        if (_writing is null) _run.OnEpoch?.Invoke(m);
        else _linesAfter.Add(m);
    }

    private (TrainingReport Report, NumericFault? Fault) TrainCore()
    {
        int n = _data.Train.Rows, f = _data.FeatureCount, c = _data.ClassCount;
        var history = new List<EpochMetrics>();
        int firstEpoch = 0, step = 0, bad = 0, bestEpoch = 0;
        double best = double.PositiveInfinity;
        bool stopped = false, restored = false;
        var es = _t.EarlyStopping;
        string? bestPath = OutputPath(_t.Outputs?.BestParameters);
        // The best epoch's parameters, kept when early stopping restores them or a best-only file is written.
        (string Name, Tensor<T> Value)[]? bestParams = _data.Validation is not null && (es is { RestoreBest: true } || _t.Outputs?.BestParameters is not null)
            ? [.. Parameters.Select(p => (p.Name, p.Value.Clone()))]
            : null;
        var plateau = _graph.Spec.Optimizer!.Settings.Schedule?.Plateau is { } pd ? new ReduceOnPlateau(pd, _graph.Spec.Optimizer.LearningRate.Value) : null;
        var watch = new DivergenceWatch(_t.DivergenceFactor);
        string? checkpointPath = OutputPath(_t.Checkpoint?.Path);
        if (_run.Resume && checkpointPath is not null && File.Exists(checkpointPath))
        {
            var state = Checkpoint.Read<T>(checkpointPath, _graph, _optimizer, _main, Identity, _run.WarmStart, _t.Epochs, (n + _batch - 1) / _batch, bestParams);
            (firstEpoch, step, best, bad, stopped, bestEpoch) = (state.EpochsDone, state.Steps, state.Best, state.Bad, state.Stopped, state.BestEpoch);
            if (plateau is not null && state.Plateau is { } ps) plateau.Restore(ps.LearningRate, ps.Best, ps.Bad, ps.CooldownLeft);
            if (state.Divergence is { } dv) watch.Restore(dv.Average, dv.Count, dv.Best);
            history.AddRange(state.History);
            Note($"resumed from {checkpointPath} after epoch {firstEpoch}");
        }
        else if (_run.Resume)
            Note(checkpointPath is null ? "nothing to resume: the spec writes no checkpoint" : $"no checkpoint at {checkpointPath}: training from the start");
        int resumedAfter = firstEpoch;
        TrainingReport Partial()
        {
            Settle(wait: true);
            return Report(history, null, null, stopped, resumedAfter) with { BestEpoch = bestEpoch > 0 ? bestEpoch : null };
        }

        var perm = new int[n];
        int batches = (n + _batch - 1) / _batch;
        for (int epoch = firstEpoch; epoch < _t.Epochs && !stopped; epoch++)
        {
            var clock = Stopwatch.StartNew();
            double lr = plateau?.LearningRate ?? _optimizer.LearningRate(epoch);
            if (_t.Shuffle) EpochPermutation(_t.Seed, epoch, perm);
            else for (int i = 0; i < n; i++) perm[i] = i;
            double lossSum = 0;
            long correct = 0;
            for (int b = 0; b < batches; b++)
            {
                int start = b * _batch, rows = Math.Min(_batch, n - start);
                var interp = For(rows);
                var x = interp.ValueAt(_inputs).Data;
                var y = interp.ValueAt(_targets).Data;
                for (int r = 0; r < rows; r++)
                {
                    // Span copies: Array.Copy's checks cost more than the copy of a row this short.
                    int s = perm[start + r];
                    _trainX.AsSpan(s * f, f).CopyTo(x.AsSpan(r * f, f));
                    _trainY.AsSpan(s * c, c).CopyTo(y.AsSpan(r * c, c));
                }
                step++;
                var trace = Traced(step) ? _trace : null;
                interp.Trace = trace;
                interp.Training = _graph.TrainingMode;
                bool ok = interp.Forward(step) && interp.Backward(step);
                interp.Trace = null;
                if (!ok)
                {
                    Note($"training stopped in epoch {epoch + 1}, batch {b + 1} of {batches} (step {step}): a NaN or infinity (below)");
                    return (Partial(), interp.Fault);
                }
                if (_graph.Expectations.Count > 0) interp.CheckExpectations(ExpectKind.Gradient, step, _expectations);
                double loss = double.CreateChecked(interp.ValueAt(_objective)[0]);
                lossSum += rows * loss;
                if (_accuracy >= 0) correct += Correct(interp.ValueAt(_accuracy).Data, perm.AsSpan(start, rows), c);
                if (watch.Add(loss))
                {
                    var d = new Divergence(epoch + 1, b + 1, batches, step, loss, watch.Smoothed, watch.Best, _t.DivergenceFactor);
                    Note(d.Message);
                    return (Partial() with { Diverged = d }, null);
                }
                if (!_optimizer.Step(interp, step, lr, trace))
                {
                    Note($"training stopped in epoch {epoch + 1}, batch {b + 1} of {batches} (step {step}): a NaN or infinity (below)");
                    return (Partial(), _optimizer.Fault);
                }
                if (_graph.Expectations.Count > 0) interp.CheckExpectations(ExpectKind.Updated, step, _expectations);
                if (_run.OnBatch is { } onBatch)
                {
                    int done = Math.Min(n, (b + 1) * _batch);
                    onBatch(new BatchProgress(epoch + 1, _t.Epochs, b + 1, batches, lossSum / done, done / Math.Max(clock.Elapsed.TotalSeconds, 1e-9)));
                }
                Settle(wait: false);
            }
            double? valLoss = null, valAcc = null;
            if (_data.Validation is { } v)
            {
                if (Evaluate(v) is not { } m) return (Partial(), _fault);
                (valLoss, valAcc) = (m.Loss, m.Accuracy);
            }
            if (_graph.Expectations.Count > 0) _main.CheckEpochExpectations(epoch + 1, _expectations);
            var metrics = new EpochMetrics(epoch + 1, lossSum / n, _accuracy >= 0 ? (double)correct / n : null, valLoss, valAcc, lr, clock.Elapsed.TotalSeconds);
            history.Add(metrics);
            EmitSummary(metrics);
            if (valLoss is { } vl)
            {
                if (vl < best - (es?.MinDelta ?? 0))
                {
                    best = vl;
                    bad = 0;
                    bestEpoch = epoch + 1;
                    if (bestParams is not null)
                    {
                        foreach (var (i, (_, value)) in Parameters.Index()) value.Data.CopyTo(bestParams[i].Value.Data, 0);
                        if (bestPath is not null) WriteParameters(bestPath, bestParams);
                    }
                }
                else if (es is not null && ++bad >= es.Patience)
                {
                    stopped = true;
                    Note($"early stopping after epoch {epoch + 1}: the validation loss has not improved by more than {Format.Number(es.MinDelta)} for {es.Patience} epoch{(es.Patience == 1 ? "" : "s")}");
                    if (es.RestoreBest && bestParams is not null && bestEpoch > 0)
                    {
                        foreach (var (i, (_, value)) in Parameters.Index()) bestParams[i].Value.Data.CopyTo(value.Data, 0);
                        restored = true;
                        Note($"restored the parameters of epoch {bestEpoch}, the best validation loss {Format.Number(best)}");
                    }
                }
            }
            if (plateau is not null)
            {
                double before = plateau.LearningRate;
                if (plateau.Step(valLoss ?? metrics.TrainLoss) && !stopped && epoch + 1 < _t.Epochs)
                    Note($"the {(valLoss is null ? "training" : "validation")} loss has not improved for {plateau.Patience + 1} epochs: learning rate {Format.Number(before)} -> {Format.Number(plateau.LearningRate)}");
            }
            if (checkpointPath is not null && ((epoch + 1) % _t.Checkpoint!.Every == 0 || epoch + 1 == _t.Epochs || stopped))
            {
                // Copied now and written on another thread while the next epoch trains (the
                // formatting and the flush to disk take longer than a small network's epoch).
                Settle(wait: true);
                _snapshot.Take(_graph, _optimizer, Parameters, bestParams);
                var state = new Checkpoint.State(epoch + 1, step, best, bad, stopped, [.. history])
                {
                    BestEpoch = bestParams is null ? 0 : bestEpoch,
                    Plateau = plateau is null ? null : (plateau.LearningRate, plateau.Best, plateau.BadEpochs, plateau.CooldownLeft),
                    Divergence = watch.State,
                };
                string identity = Identity, path = checkpointPath;
                _writing = Task.Run(() => Checkpoint.Write(path, _graph, _snapshot, state, identity, split: false));
            }
            EpochLine(metrics);
        }
        if (!restored && stopped && es is { RestoreBest: true } && history.Count > 0 && bestEpoch > 0 && bestEpoch < history[^1].Epoch && resumedAfter == history[^1].Epoch)
            restored = true; // resumed from the checkpoint of a run that had stopped and restored already

        double? testLoss = null, testAcc = null;
        if (_data.Test is { } test)
        {
            if (Evaluate(test) is not { } m) return (Partial(), _fault);
            (testLoss, testAcc) = (m.Loss, m.Accuracy);
            int last = history.Count > 0 ? history[^1].Epoch : 0;
            Emit(last, "test_loss", "objective J averaged over the test split", testLoss.Value, training: false);
            if (testAcc is { } ta) Emit(last, "test_accuracy", $"argmax {_graph.Values[_accuracy].Name} = argmax {_graph.Values[_targets].Name}, test split", ta, training: false);
        }
        if (OutputPath(_t.Outputs?.Parameters) is { } paramsPath) WriteParameters(paramsPath, Parameters);
        Settle(wait: true);
        return (Report(history, testLoss, testAcc, stopped, resumedAfter) with { BestEpoch = bestEpoch > 0 ? bestEpoch : null, RestoredBest = restored }, null);
    }

    private void WriteParameters(string path, IReadOnlyList<(string Name, Tensor<T> Value)> parameters)
    {
        try
        {
            ParameterFile.Write(path, _graph.Spec.Name, parameters, _data.Preprocessing);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TrainingFileException($"cannot write the parameters file {path}: {(e is NetSpec.Parser.Files.OutputFileException o ? o.Reason : Excerpt.Message(e.Message))}", e);
        }
    }

    private static TrainingReport Report(List<EpochMetrics> h, double? testLoss, double? testAcc, bool stopped, int resumed) =>
        new([.. h], testLoss, testAcc, stopped, resumed);

    private void EmitSummary(EpochMetrics m)
    {
        bool training = _graph.TrainingMode;
        Emit(m.Epoch, "train_loss", "objective J averaged over the epoch's batches", m.TrainLoss, training);
        if (m.TrainAccuracy is { } ta) Emit(m.Epoch, "train_accuracy", "fraction of the epoch's samples classified right", ta, training);
        if (m.ValidationLoss is { } vl) Emit(m.Epoch, "validation_loss", "objective J averaged over the validation split", vl, training: false);
        if (m.ValidationAccuracy is { } va) Emit(m.Epoch, "validation_accuracy", "fraction of the validation split classified right", va, training: false);
    }

    /// <summary>One metric; with batch_norm or dropout in the graph it says the mode it was computed in (the training metrics during the steps, the others in evaluation mode).</summary>
    private void Emit(int epoch, string name, string expression, double value, bool training)
    {
        if (_trace is null) return;
        _trace.Emit(new TraceEvent(TracePhase.Epoch, epoch, name, "metric", expression, Shape.Scalar, new[] { value })
        {
            Mode = _graph.UsesMode ? TraceEvent.ModeName(training) : null,
        });
    }

    /// <summary>The index of the largest entry (the first on ties).</summary>
    private static int ArgMax(ReadOnlySpan<T> v)
    {
        int best = 0;
        for (int j = 1; j < v.Length; j++)
            if (v[j] > v[best]) best = j;
        return best;
    }

    /// <summary>Rows whose largest score (the first on ties) is at the target class of training sample <paramref name="samples"/>[row].</summary>
    private int Correct(ReadOnlySpan<T> scores, ReadOnlySpan<int> samples, int classes)
    {
        int correct = 0;
        for (int r = 0; r < samples.Length; r++)
            if (ArgMax(scores.Slice(r * classes, classes)) == _trainClass[samples[r]]) correct++;
        return correct;
    }

    /// <summary>Rows whose largest score is at the target's largest entry (the first on ties).</summary>
    private static int Correct(ReadOnlySpan<T> scores, ReadOnlySpan<T> targets, int rows, int classes)
    {
        int correct = 0;
        for (int r = 0; r < rows; r++)
        {
            var s = scores.Slice(r * classes, classes);
            var t = targets.Slice(r * classes, classes);
            int bs = 0, bt = 0;
            for (int j = 1; j < classes; j++)
            {
                if (s[j] > s[bs]) bs = j;
                if (t[j] > t[bt]) bt = j;
            }
            if (bs == bt) correct++;
        }
        return correct;
    }

    /// <summary>
    /// Loss and accuracy of a split with the current parameters, in batches, in evaluation mode
    /// (batch_norm's running statistics, no dropout; no state changes); null at a NaN or infinity.
    /// </summary>
    private (double Loss, double? Accuracy)? Evaluate(DataSplit split)
    {
        int n = split.Rows, f = _data.FeatureCount, c = _data.ClassCount;
        double lossSum = 0;
        long correct = 0;
        for (int start = 0; start < n; start += _batch)
        {
            int rows = Math.Min(_batch, n - start);
            var interp = For(rows);
            var x = interp.ValueAt(_inputs).Data;
            var y = interp.ValueAt(_targets).Data;
            for (int i = 0; i < rows * f; i++) x[i] = T.CreateChecked(split.Features[start * f + i]);
            for (int i = 0; i < rows * c; i++) y[i] = T.CreateChecked(split.Targets[start * c + i]);
            interp.Training = false;
            if (!interp.Forward(0))
            {
                _fault = interp.Fault;
                return null;
            }
            lossSum += rows * double.CreateChecked(interp.ValueAt(_objective)[0]);
            if (_accuracy >= 0) correct += Correct(interp.ValueAt(_accuracy).Data, y, rows, c);
        }
        return (lossSum / n, _accuracy >= 0 ? (double)correct / n : null);
    }
}
