using NetSpec.Parser;
using NetSpec.Parser.Diagnostics;
using NetSpec.Parser.Model;
using NetSpec.Parser.Yaml;
using NetSpec.Runtime.Graph;

namespace NetSpec.Runtime.Training;

/// <summary>
/// What happens between parsing and building the graph for the file-backed parts of a spec:
/// the parameters file replaces parameter values, and the dataset's inputs and targets become
/// data values of one batch (so every shape is inferred as usual). After the graph is built,
/// <see cref="Check"/> validates the training settings against it.
/// </summary>
public static class TrainingSetup
{
    /// <summary>The spec with its file-backed values in place, and the dataset (null without one or on error).</summary>
    public static (SpecDocument Spec, LoadedDataset? Dataset) Prepare(SpecDocument spec, DiagnosticBag diagnostics, ParserLimits? limits)
    {
        if (spec.ParametersFile is { } pf) spec = LoadParameters(spec, pf, diagnostics);
        if (spec.Dataset is not { } d) return (spec, null);
        var data = DatasetLoader.Load(spec, diagnostics, limits);
        if (data is null) return (spec, null);
        int rows = Math.Min(spec.Training?.BatchSize ?? data.Train.Rows, data.Train.Rows);
        return (WithBatch(spec, data, rows), data);
    }

    /// <summary>The spec with the dataset's inputs and targets as data of <paramref name="rows"/> samples (zeros; class 0).</summary>
    internal static SpecDocument WithBatch(SpecDocument spec, LoadedDataset data, int rows)
    {
        var d = spec.Dataset!;
        var y = new double[rows * data.ClassCount];
        for (int r = 0; r < rows; r++) y[r * data.ClassCount] = 1;
        var x = new DataDecl(d.Inputs.Name, new TensorLiteral([rows, data.FeatureCount], new double[rows * data.FeatureCount], d.Inputs.Span), d.Inputs.Span);
        var t = new DataDecl(d.Targets.Name, new TensorLiteral([rows, data.ClassCount], y, d.Targets.Span), d.Targets.Span);
        var rest = spec.Data.Where(v => v.Name != d.Inputs.Name && v.Name != d.Targets.Name);
        return spec with { Data = [x, t, .. rest] };
    }

    /// <summary>
    /// Builds the graph again at every other batch size training meets (the last, partial batch
    /// of each split), as the trainer will, and reports what does not hold there: a shape written
    /// for one batch size (a reshape to [32, 1, 8, 8] instead of [0, 1, 8, 8]) fails at the others.
    /// </summary>
    private static void CheckOtherBatches(NetworkGraph graph, LoadedDataset data, int batch, DiagnosticBag diagnostics)
    {
        var sizes = new List<(int Rows, string Where)>();
        foreach (var split in new[] { data.Train, data.Validation, data.Test })
        {
            if (split is null || split.Rows % batch == 0) continue;
            int rows = split.Rows % batch;
            if (sizes.All(s => s.Rows != rows))
                sizes.Add((rows, $"the last batch of the {split.Name} split ({split.Rows} samples in batches of {batch})"));
        }
        foreach (var (rows, where) in sizes)
        {
            var bag = new DiagnosticBag();
            if (GraphBuilder.Build(WithBatch(graph.Spec, data, rows), bag) is not null) continue;
            foreach (var d in bag.Items.Where(d => d.Severity == Severity.Error))
                diagnostics.Error(d.Code, d.Span, $"at a batch of {rows} samples, {where}: {d.Message} (write shapes that hold for any batch size: 0 or -1 in a reshape's batch position)");
            return;
        }
    }

    private static SpecDocument LoadParameters(SpecDocument spec, PathRef pf, DiagnosticBag diagnostics)
    {
        string path = Path.Combine(Path.GetDirectoryName(spec.Path) ?? "", pf.Path);
        if (!File.Exists(path))
        {
            diagnostics.Error(Codes.FileNotFound, pf.Span, $"the parameters file '{pf.Path}' does not exist (looked for {path})");
            return spec;
        }
        Dictionary<string, ParameterFile.Entry> entries;
        try
        {
            entries = ParameterFile.Read(path).Parameters;
        }
        catch (Exception e) when (e is FormatException or IOException or UnauthorizedAccessException)
        {
            diagnostics.Error(Codes.FileUnreadable, pf.Span, $"cannot read the parameters file '{Excerpt.Clip(pf.Path)}': {Excerpt.Message(e.Message)}");
            return spec;
        }
        var declared = new HashSet<string>(spec.Parameters.Select(p => p.Name), StringComparer.Ordinal);
        var taken = new HashSet<string>(spec.Data.Select(v => v.Name).Concat(spec.Network.Select(n => n.Name)), StringComparer.Ordinal);
        if (spec.Dataset is { } ds) { taken.Add(ds.Inputs.Name); taken.Add(ds.Targets.Name); }
        var list = new List<ParameterDecl>();
        foreach (var p in spec.Parameters)
        {
            if (!entries.TryGetValue(p.Name, out var e))
            {
                list.Add(p);
                continue;
            }
            int[] dims = p.Value?.Dims ?? p.Init!.Shape;
            if (!dims.AsSpan().SequenceEqual(e.Shape))
                diagnostics.Error(Codes.ShapeMismatch, p.NameSpan, $"parameter '{p.Name}' is {string.Join("x", dims)} in the spec but {string.Join("x", e.Shape)} in the parameters file '{pf.Path}'");
            list.Add(new ParameterDecl(p.Name, new TensorLiteral(e.Shape, e.Values, pf.Span), null, p.NameSpan));
        }
        foreach (var (name, e) in entries.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            if (declared.Contains(name)) continue;
            if (taken.Contains(name) || !Names.IsValid(name))
            {
                diagnostics.Error(Codes.DuplicateName, pf.Span, $"the parameters file '{pf.Path}' has a parameter '{name}', but the spec uses that name for data or a node");
                continue;
            }
            list.Add(new ParameterDecl(name, new TensorLiteral(e.Shape, e.Values, pf.Span), null, pf.Span));
        }
        return spec with { Parameters = list };
    }

    /// <summary>Checks the training settings against the graph: objective, accuracy node, splits, expectations.</summary>
    public static void Check(NetworkGraph graph, LoadedDataset? data, DiagnosticBag diagnostics)
    {
        var spec = graph.Spec;
        if (spec.Training is { } t)
        {
            if (spec.Dataset is null)
                diagnostics.Error(Codes.MissingField, t.Span, "'training' needs a 'dataset' section: the samples to train on");
            if (spec.Optimizer is not { } opt)
            {
                if (!spec.OptimizerRefused) diagnostics.Error(Codes.MissingField, t.Span, "'training' needs an 'optimizer' section: how the parameters are updated");
            }
            else if (opt.StepsWritten)
                diagnostics.Error(Codes.BadSteps, opt.Steps.Span, "a training spec counts epochs ('training: epochs'), not 'steps'; remove 'steps'");
            if (spec.Backward is null)
                diagnostics.Error(Codes.NoBackward, t.Span, "'training' needs 'backward: {from: J}', the scalar objective to minimize");
            else if (spec.Backward.Grad is not null)
                diagnostics.Error(Codes.ObjectiveNotScalar, spec.Backward.Grad.Span, "training minimizes a scalar objective: 'backward' names it with 'from' and has no assumed 'grad'");
            foreach (var e in spec.Expectations)
                diagnostics.Error(Codes.ExpectKind, e.Name.Span, $"a training spec checks metrics ('expect: metrics'), not single values such as '{e.Name.Name}'; run the trained parameters in a spec without training to check values");
            if (t.AccuracyOf is { } acc && data is not null)
            {
                var v = graph.Find(acc.Name);
                if (v is null)
                    diagnostics.Error(Codes.UnknownReference, acc.Span, $"'accuracy_of' names '{acc.Name}', which is not a value of the spec{Suggest.DidYouMean(acc.Name, graph.Values.Select(x => x.Name))}");
                else if (v.Shape.Rank != 2 || v.Shape.Cols != data.ClassCount)
                    diagnostics.Error(Codes.ShapeMismatch, acc.Span, $"'accuracy_of' needs one score per class and sample (N x {data.ClassCount}), but '{acc.Name}' is {v.Shape}");
            }
            if (t.EarlyStopping is { } es && data is not null && data.Validation is null)
                diagnostics.Error(Codes.MissingField, es.Span, "early stopping watches the validation loss: add 'split: {validation: 0.1}' or 'validation_file' to the dataset");
            if (t.Outputs?.BestParameters is { } bp && data is not null && data.Validation is null)
                diagnostics.Error(Codes.MissingField, bp.Span, "'best_parameters' keeps the parameters of the best validation epoch: add 'split: {validation: 0.1}' or 'validation_file' to the dataset");
        }

        else if (spec.Dataset is { } ds)
            diagnostics.Error(Codes.MissingField, ds.Span, "a 'dataset' is used for training: add a 'training' section (epochs, batch_size)");
        if (spec.Training is null && spec.Optimizer?.Settings.Schedule is { Plateau: not null } plateau)
            diagnostics.Error(Codes.InvalidValue, plateau.Type.Span, "a plateau schedule watches the loss of each epoch: it needs a 'training' section (a spec without training has no epochs)");
        if (spec.Training is not null && spec.Dataset is { } set && data is not null && graph.Find(set.Inputs.Name) is { } inputs)
            CheckOtherBatches(graph, data, inputs.Shape.Rows, diagnostics);

        foreach (var m in spec.MetricExpectations)
        {
            string name = m.Metric.Name;
            if (spec.Training is null)
            {
                diagnostics.Error(Codes.ExpectKind, m.Metric.Span, $"metric '{name}' is expected, but the spec has no 'training' section");
                continue;
            }
            if (name.EndsWith("accuracy", StringComparison.Ordinal) && spec.Training.AccuracyOf is null)
                diagnostics.Error(Codes.ExpectKind, m.Metric.Span, $"'{name}' needs 'training: accuracy_of', the node whose largest entry is the predicted class");
            if (data is null) continue;
            if (name.StartsWith("validation", StringComparison.Ordinal) && data.Validation is null)
                diagnostics.Error(Codes.ExpectKind, m.Metric.Span, $"'{name}' is expected, but the dataset has no validation split");
            if (name.StartsWith("test", StringComparison.Ordinal) && data.Test is null)
                diagnostics.Error(Codes.ExpectKind, m.Metric.Span, $"'{name}' is expected, but the dataset has no test split");
        }
    }
}
