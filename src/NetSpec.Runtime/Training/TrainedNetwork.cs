using System.Numerics;
using NetSpec.Parser.Diagnostics;
using NetSpec.Parser.Model;
using NetSpec.Runtime.Execution;
using NetSpec.Runtime.Graph;

namespace NetSpec.Runtime.Training;

/// <summary>How the outputs of a prediction read: probabilities of the classes, or the network's raw scores.</summary>
public enum OutputKind
{
    /// <summary>The softmax of the scores (the loss is softmax_cross_entropy on them), exp of log-probabilities (nll_loss), or the scores themselves when they already are probabilities (cross_entropy, a softmax node).</summary>
    Probabilities,

    /// <summary>The output node's values as they are.</summary>
    Scores,
}

/// <summary>One output row per input row (rows x classes) and the class each row is predicted to be (argmax of the scores, the first on ties).</summary>
public sealed record Prediction(int Rows, int Classes, double[] Outputs, int[] Predicted, double Loss, NumericFault? Fault);

/// <summary>
/// The figures of <c>netspec evaluate</c>: the objective averaged over the rows (as training's
/// test loss), the fraction classified right (as its test accuracy), and the confusion matrix,
/// <c>Confusion[t, p]</c> the rows of true class t predicted as p.
/// </summary>
public sealed record Evaluation(int Rows, double Loss, double Accuracy, long[,] Confusion)
{
    /// <summary>Of the rows predicted as class c, the fraction that are c; null when none is predicted as c.</summary>
    public double? Precision(int c)
    {
        long predicted = 0;
        for (int t = 0; t < Confusion.GetLength(0); t++) predicted += Confusion[t, c];
        return predicted == 0 ? null : (double)Confusion[c, c] / predicted;
    }

    /// <summary>Of the rows of class c, the fraction predicted as c; null when no row is of class c.</summary>
    public double? Recall(int c)
    {
        long actual = 0;
        for (int p = 0; p < Confusion.GetLength(1); p++) actual += Confusion[c, p];
        return actual == 0 ? null : (double)Confusion[c, c] / actual;
    }

    /// <summary>The rows of true class c.</summary>
    public long Support(int c)
    {
        long actual = 0;
        for (int p = 0; p < Confusion.GetLength(1); p++) actual += Confusion[c, p];
        return actual;
    }
}

/// <summary>
/// A training spec's network with trained parameters, for predicting and evaluating rows read
/// with <see cref="DatasetLoader.ReadInput"/>: forward passes in evaluation mode
/// (<see cref="Interpreter{T}.Training"/> false: batch_norm's running statistics, no dropout), in
/// batches of the spec's batch size, in the spec's dtype. The output is the node training
/// measures accuracy on (<c>training: accuracy_of</c>), or else the scores its loss compares
/// with the targets.
/// </summary>
public sealed class TrainedNetwork
{
    private readonly NetworkGraph _graph;
    private readonly LoadedDataset _data;
    private readonly Dictionary<string, ParameterFile.Entry> _parameters;
    private readonly int _inputs, _targets, _output, _objective;
    private readonly string? _lossOp; // the op of the loss comparing the output with the targets

    private TrainedNetwork(NetworkGraph graph, LoadedDataset data, Dictionary<string, ParameterFile.Entry> parameters, Preprocessing preprocessing,
        int output, OutputKind kind)
    {
        _graph = graph;
        _data = data;
        _parameters = parameters;
        Preprocessing = preprocessing;
        var d = graph.Spec.Dataset!;
        _inputs = graph.Find(d.Inputs.Name)!.Index;
        _targets = graph.Find(d.Targets.Name)!.Index;
        _output = output;
        _objective = graph.BackwardFrom;
        Kind = kind;
        _lossOp = graph.Nodes.FirstOrDefault(n => n.Inputs.Length >= 2 && n.Inputs[1] == _targets && n.Inputs[0] == _output)?.Op.Name;
    }

    /// <summary>How raw rows become inputs, and the class names.</summary>
    public Preprocessing Preprocessing { get; }

    /// <summary>How the prediction's outputs read.</summary>
    public OutputKind Kind { get; }

    /// <summary>The node whose values are the outputs.</summary>
    public string OutputName => _graph.Values[_output].Name;

    /// <summary>
    /// The network of <paramref name="graph"/> (a loaded training spec) with the parameters of
    /// <paramref name="file"/> read from <paramref name="path"/>; null with diagnostics when they
    /// do not fit it. A version 1 file has no preprocessing: the one computed from the spec's data
    /// set as read now is used, and <paramref name="note"/> says so.
    /// </summary>
    public static TrainedNetwork? Open(NetworkGraph graph, ParameterFile.Contents file, string path, DiagnosticBag diagnostics, out string? note)
    {
        note = null;
        var span = new SourceSpan(path, 1, 1, 1, 2);
        if (graph.Spec.Dataset is null || graph.Dataset is not { } data || graph.Spec.Training is null)
        {
            diagnostics.Error(Codes.MissingField, SourceSpan.None(graph.Spec.Path), "predicting and evaluating need a training spec: a 'dataset' and a 'training' section");
            return null;
        }
        var pre = file.Preprocessing;
        if (pre is null)
        {
            pre = data.Preprocessing!;
            note = $"{path} is a version {file.Version} parameters file, without the preprocessing: the scaling is computed from the spec's data set as it reads now (train again to keep it in the file)";
        }
        int features = graph.Values[graph.Find(graph.Spec.Dataset.Inputs.Name)!.Index].Shape.Cols;
        int classes = graph.Values[graph.Find(graph.Spec.Dataset.Targets.Name)!.Index].Shape.Cols;
        if (pre.Features.Count != features || pre.Classes.Count != classes)
        {
            diagnostics.Error(Codes.ShapeMismatch, span,
                $"the parameters file was trained on {pre.Features.Count} features and {pre.Classes.Count} classes, but the spec's network takes {features} features and {classes} classes");
            return null;
        }
        bool ok = true;
        foreach (var v in graph.Values.Where(v => v.Kind == ValueKind.Parameter))
        {
            if (!file.Parameters.TryGetValue(v.Name, out var e))
            {
                diagnostics.Error(Codes.MissingField, span, $"the parameters file has no parameter '{v.Name}' (was it written for another spec?)");
                ok = false;
            }
            else if (!e.Shape.AsSpan().SequenceEqual(v.Shape.Dims))
            {
                diagnostics.Error(Codes.ShapeMismatch, span, $"parameter '{v.Name}' is {string.Join("x", e.Shape)} in the parameters file but {v.Shape} in the spec");
                ok = false;
            }
        }
        if (!ok) return null;
        var (output, kind) = Output(graph, diagnostics);
        return output < 0 ? null : new TrainedNetwork(graph, data, file.Parameters, pre, output, kind);
    }

    /// <summary>The output node and how its values read: <c>accuracy_of</c>, else the scores the loss compares with the targets.</summary>
    private static (int Output, OutputKind Kind) Output(NetworkGraph graph, DiagnosticBag diagnostics)
    {
        var spec = graph.Spec;
        int targets = graph.Find(spec.Dataset!.Targets.Name)!.Index;
        var loss = graph.Nodes.FirstOrDefault(n => n.Inputs.Length >= 2 && n.Inputs[1] == targets);
        int output = spec.Training!.AccuracyOf is { } a ? graph.Find(a.Name)!.Index : loss?.Inputs[0] ?? -1;
        if (output < 0 || graph.Values[output].Shape.Rank != 2)
        {
            diagnostics.Error(Codes.MissingField, spec.Training.Span, "predicting needs 'training: accuracy_of', the node of one score per class and sample");
            return (-1, OutputKind.Scores);
        }
        if (loss is null || loss.Inputs[0] != output)
        {
            var producer = graph.Values[output].Producer;
            return (output, producer >= 0 && graph.Nodes.First(n => n.Output == output).Op.Name == "softmax" ? OutputKind.Probabilities : OutputKind.Scores);
        }
        return (output, loss.Op.Name is "softmax_cross_entropy" or "softmax_cross_entropy_rows" or "nll_loss" or "cross_entropy" ? OutputKind.Probabilities : OutputKind.Scores);
    }

    /// <summary>Each row's class index from its label; null with a diagnostic at the label's line and column for a label that is not a class.</summary>
    public int[]? ClassesOf(InputRows rows, DiagnosticBag diagnostics)
    {
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < Preprocessing.Classes.Count; i++) index[Preprocessing.Classes[i]] = i;
        var result = new int[rows.Rows];
        int errors = 0;
        for (int r = 0; r < rows.Rows; r++)
        {
            string label = rows.Labels![r];
            if (index.TryGetValue(label, out result[r])) continue;
            if (++errors > 10) break;
            int line = rows.LabelLines[r], col = rows.LabelColumns[r];
            diagnostics.Error(Codes.InvalidValue, new SourceSpan(rows.Path, line, col, line, col + Math.Max(1, label.Length)),
                $"label '{Excerpt.Clip(label)}' is not a class the network was trained on ({string.Join(", ", Preprocessing.Classes.Take(12).Select(Excerpt.Clip))}{(Preprocessing.Classes.Count > 12 ? ", ..." : "")}){Suggest.DidYouMean(label, Preprocessing.Classes)}");
        }
        return errors > 0 ? null : result;
    }

    /// <summary>The outputs of every row; with <paramref name="classes"/> the objective too, averaged over the rows.</summary>
    public Prediction Predict(InputRows rows, int[]? classes = null, int threads = 1) =>
        _graph.Spec.DType == DType.Float32 ? Run<float>(rows, classes, threads) : Run<double>(rows, classes, threads);

    /// <summary>Loss, accuracy and confusion matrix over labelled rows (<see cref="ClassesOf"/>).</summary>
    public (Evaluation? Evaluation, NumericFault? Fault) Evaluate(InputRows rows, int[] classes, int threads = 1)
    {
        var p = Predict(rows, classes, threads);
        if (p.Fault is not null) return (null, p.Fault);
        int c = Preprocessing.Classes.Count;
        var confusion = new long[c, c];
        long correct = 0;
        for (int r = 0; r < rows.Rows; r++)
        {
            confusion[classes[r], p.Predicted[r]]++;
            if (classes[r] == p.Predicted[r]) correct++;
        }
        return (new Evaluation(rows.Rows, p.Loss, (double)correct / rows.Rows, confusion), null);
    }

    private Prediction Run<T>(InputRows rows, int[]? classes, int threads) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var options = new InterpreterOptions { DataGradients = false, StopOnNonFinite = true, Threads = threads };
        var main = new Interpreter<T>(_graph, options);
        foreach (var v in _graph.Values.Where(v => v.Kind == ValueKind.Parameter))
        {
            var data = main.ValueAt(v.Index).Data;
            var values = _parameters[v.Name].Values;
            for (int i = 0; i < data.Length; i++) data[i] = T.CreateTruncating(values[i]);
        }
        var byRows = new Dictionary<int, Interpreter<T>> { [_graph.Values[_inputs].Shape.Rows] = main };
        Interpreter<T> For(int n)
        {
            if (byRows.TryGetValue(n, out var i)) return i;
            var diagnostics = new DiagnosticBag();
            var graph = GraphBuilder.Build(TrainingSetup.WithBatch(_graph.Spec, _data, n), diagnostics)
                ?? throw new InvalidOperationException($"the graph for a batch of {n} did not build: {string.Join("; ", diagnostics.Items)}");
            return byRows[n] = new Interpreter<T>(graph, options, null, main);
        }

        int batch = _graph.Values[_inputs].Shape.Rows, f = Preprocessing.Features.Count, c = Preprocessing.Classes.Count;
        var outputs = new double[rows.Rows * c];
        var predicted = new int[rows.Rows];
        double lossSum = 0;
        for (int start = 0; start < rows.Rows; start += batch)
        {
            int n = Math.Min(batch, rows.Rows - start);
            var interp = For(n);
            var x = interp.ValueAt(_inputs).Data;
            var y = interp.ValueAt(_targets).Data;
            for (int i = 0; i < n * f; i++) x[i] = T.CreateChecked(rows.Features[start * f + i]);
            Array.Clear(y);
            for (int r = 0; r < n; r++) y[r * c + (classes?[start + r] ?? 0)] = T.One;
            interp.Training = false;
            if (!interp.Forward(0)) return new Prediction(rows.Rows, c, outputs, predicted, double.NaN, interp.Fault);
            if (_objective >= 0) lossSum += n * double.CreateChecked(interp.ValueAt(_objective)[0]);
            var scores = interp.ValueAt(_output).Data;
            for (int r = 0; r < n; r++)
            {
                var row = outputs.AsSpan((start + r) * c, c);
                int best = 0;
                for (int j = 0; j < c; j++)
                {
                    row[j] = double.CreateChecked(scores[r * c + j]);
                    if (scores[r * c + j] > scores[r * c + best]) best = j;
                }
                predicted[start + r] = best;
                if (Kind == OutputKind.Probabilities) Probabilities(row);
            }
        }
        return new Prediction(rows.Rows, c, outputs, predicted, lossSum / rows.Rows, null);
    }

    /// <summary>Scores to probabilities in place, as the loss reads them: softmax (max subtracted) after softmax_cross_entropy, exp after nll_loss; probabilities stay.</summary>
    private void Probabilities(Span<double> row)
    {
        switch (_lossOp)
        {
            case "softmax_cross_entropy" or "softmax_cross_entropy_rows":
            {
                double max = double.NegativeInfinity, sum = 0;
                foreach (var v in row) max = Math.Max(max, v);
                for (int j = 0; j < row.Length; j++) sum += row[j] = Math.Exp(row[j] - max);
                for (int j = 0; j < row.Length; j++) row[j] /= sum;
                break;
            }
            case "nll_loss":
                for (int j = 0; j < row.Length; j++) row[j] = Math.Exp(row[j]);
                break;
        }
    }
}
