using NetSpec.Parser.Model;
using NetSpec.Runtime.Execution;
using NetSpec.Runtime.Graph;
using NetSpec.Runtime.Trace;
using Dict = NetSpec.Runtime.Torch.PythonLiteral.Dict;

namespace NetSpec.Runtime.Torch;

/// <summary>
/// The exported script's <c>CONFIG</c>: what NetSpec runs for the spec, as the script's runtime
/// (runtime_part2.py) reads it. The run: dtype, objective (and assumed gradient), mode, the
/// steps or the training (epochs, batch size, shuffle and seed, accuracy node, early stopping,
/// divergence factor, traced steps), the optimizer with its hyperparameters and schedule, the
/// data set (files relative to the script, columns, classes, scaling, split; or the synthetic
/// source) and the inline data. The trace: the records NetSpec writes for one traced step, in
/// its order (data and parameters, each node with its side values and updated state, the
/// gradients), taken from one traced pass of NetSpec's own interpreter so that names, ops and
/// expressions are NetSpec's. Distributed runs: how each term of the objective scales with a
/// share of the batch, or why the spec cannot be split across processes.
/// </summary>
internal static class TorchConfig
{
    public static Dict Build(NetworkGraph graph, bool float32, string scriptFolder, string parametersFile)
    {
        var spec = graph.Spec;
        bool training = spec.Training is not null;
        var dataset = spec.Dataset;
        var fed = new HashSet<string>(StringComparer.Ordinal);
        if (dataset is not null) { fed.Add(dataset.Inputs.Name); fed.Add(dataset.Targets.Name); }

        var config = new Dict
        {
            { "spec", spec.Name },
            { "dtype", float32 ? "float32" : "float64" },
            { "parameters_file", parametersFile },
            { "training_mode", graph.TrainingMode },
            { "objective", graph.BackwardFrom >= 0 ? graph.Values[graph.BackwardFrom].Name : null },
            { "seed_gradient", graph.SeedGradient is { } seed ? seed.ToList() : null },
        };
        var data = new Dict();
        foreach (var v in graph.Values.Where(v => v.Kind == ValueKind.Data && !fed.Contains(v.Name)))
            data.Add(v.Name, new Dict { { "shape", v.Shape.Dims.ToArray() }, { "values", (v.Literal ?? new double[v.Shape.Length]).ToList() } });
        config.Add("data", data);
        config.Add("trace", Trace(graph, dataGradients: !training));
        config.Add("data_gradients", graph.Values.Where(v => v.Kind == ValueKind.Data && graph.NeedsGradient(v.Index, !training) && v.Index != graph.BackwardFrom)
            .Select(v => v.Name).ToList());
        // Data a traced training step makes a leaf that takes a gradient, so that every node NetSpec differentiates (a reshape of x) is in torch's graph.
        config.Add("traced_data", graph.Values.Where(v => v.Kind == ValueKind.Data && graph.NeedsGradient(v.Index, true) && v.Index != graph.BackwardFrom)
            .Select(v => v.Name).ToList());
        var parameters = graph.Values.Where(v => v.Kind == ValueKind.Parameter).ToList();
        config.Add("parameters", parameters.Select(v => v.Name).ToList());
        config.Add("updated", parameters.Where(v => graph.NeedsGradient(v.Index)).Select(v => v.Name).ToList());
        config.Add("frozen", parameters.Where(v => !v.Trainable).Select(v => v.Name).ToList());
        config.Add("optimizer", spec.Optimizer is { } o ? Optimizer(o) : null);
        config.Add("steps", training ? null : Steps(graph));
        config.Add("training", spec.Training is { } t ? Training(t) : null);
        config.Add("dataset", dataset is null ? null : Dataset(dataset, Path.GetDirectoryName(Path.GetFullPath(spec.Path)) ?? "", scriptFolder));
        config.Add("ddp", Distributed(graph, fed));
        return config;
    }

    private static Dict Optimizer(OptimizerDecl o)
    {
        var s = o.Settings;
        return new Dict
        {
            { "type", o.Type.Name },
            { "learning_rate", o.LearningRate.Value },
            { "learning_rate_name", o.LearningRate.Hyperparameter },
            { "momentum", s.Momentum },
            { "nesterov", s.Nesterov },
            { "beta1", s.Beta1 },
            { "beta2", s.Beta2 },
            { "epsilon", s.Epsilon },
            { "schedule", s.Schedule is { Plateau: null } sc ? new Dict { { "type", sc.Type.Name }, { "gamma", sc.Gamma }, { "step_size", sc.StepSize } } : null },
            { "plateau", s.Schedule?.Plateau is { } p ? new Dict
                {
                    { "factor", p.Factor }, { "patience", p.Patience }, { "threshold", p.Threshold }, { "cooldown", p.Cooldown }, { "min_lr", p.MinLr },
                } : null },
        };
    }

    private static Dict Steps(NetworkGraph graph) => new()
    {
        { "count", graph.Steps },
        { "trace_steps", graph.Spec.Trace is { } t ? t.Steps.ToList() : null },
        { "trace_every", graph.Spec.Trace?.Every ?? 0 },
    };

    private static Dict Training(TrainingDecl t) => new()
    {
        { "epochs", t.Epochs },
        { "batch_size", t.BatchSize },
        { "shuffle", t.Shuffle },
        { "seed", t.Seed },
        { "accuracy_of", t.AccuracyOf?.Name },
        { "early_stopping", t.EarlyStopping is { } es ? new Dict { { "patience", es.Patience }, { "min_delta", es.MinDelta }, { "restore_best", es.RestoreBest } } : null },
        { "divergence_factor", t.DivergenceFactor },
        { "trace_steps", t.Trace.Steps.ToList() },
        { "trace_every", t.Trace.Every },
    };

    private static Dict Dataset(DatasetDecl d, string specFolder, string scriptFolder)
    {
        string? Relative(PathRef? p) => p is null ? null : Path.GetRelativePath(scriptFolder, Path.GetFullPath(Path.Combine(specFolder, p.Path))).Replace('\\', '/');
        return new Dict
        {
            { "inputs", d.Inputs.Name },
            { "targets", d.Targets.Name },
            { "file", Relative(d.File) },
            { "validation_file", Relative(d.ValidationFile) },
            { "test_file", Relative(d.TestFile) },
            { "separator", d.Separator.ToString() },
            { "header", d.Header },
            { "features", d.Features?.Select(f => f.Name).ToList() },
            { "label", d.Label?.Name },
            { "classes", d.Classes?.Select(c => c.Name).ToList() },
            { "scaling", d.Scaling switch { FeatureScaling.Scale => "scale", FeatureScaling.Standardize => "standardize", _ => "none" } },
            { "factor", d.ScaleFactor },
            { "split", d.Split is { } s ? new Dict { { "validation", s.Validation }, { "test", s.Test }, { "seed", s.Seed } } : null },
            { "synthetic", d.Synthetic is { } syn ? new Dict
                {
                    { "samples", syn.Samples }, { "validation_samples", syn.ValidationSamples }, { "test_samples", syn.TestSamples },
                    { "features", syn.Features }, { "classes", syn.Classes }, { "seed", syn.Seed },
                } : null },
        };
    }

    /// <summary>
    /// The records of one traced step as NetSpec's interpreter writes them, from one traced
    /// forward and backward pass in float64 on the graph's own values (the names, ops and
    /// expressions are all the script needs; the numbers are its own).
    /// </summary>
    private static Dict Trace(NetworkGraph graph, bool dataGradients)
    {
        var sink = new CollectingTraceSink();
        var interp = new Interpreter<double>(graph, new InterpreterOptions { DataGradients = dataGradients, StopOnNonFinite = false }, sink)
        {
            Training = graph.TrainingMode,
        };
        interp.Forward(1);
        if (graph.BackwardFrom >= 0) interp.Backward(1);
        var nodes = graph.Nodes.ToDictionary(n => n.Name, StringComparer.Ordinal);
        var leaves = new List<object?>();
        var rows = new List<object?>();
        var gradients = new List<object?>();
        var ops = new Dict();
        List<object?>? sides = null, states = null;
        foreach (var e in sink.Events)
        {
            if (e.Phase == TracePhase.Forward)
            {
                if (nodes.TryGetValue(e.Name, out var n) && e.Op == n.Op.Name && e.Op != "state")
                {
                    sides = [];
                    states = [];
                    rows.Add(new List<object?> { n.Name, n.Op.Name, e.Expression, sides, states });
                }
                else if (e.Op == "state") states?.Add(new List<object?> { e.Name, e.Expression });
                else if (sides is not null && e.Name.Contains('.', StringComparison.Ordinal)) sides.Add(new List<object?> { e.Name[(e.Name.IndexOf('.', StringComparison.Ordinal) + 1)..], e.Expression });
                else leaves.Add(new List<object?> { e.Name, e.Op });
            }
            else if (e.Phase == TracePhase.Backward)
            {
                string kind = e.Op is "data" or "parameter" && !nodes.ContainsKey(e.Name) ? e.Op : "node";
                gradients.Add(new List<object?> { e.Name, kind });
                if (kind == "node") ops.Add(e.Name, e.Op);
            }
        }
        return new Dict { { "uses_mode", graph.UsesMode }, { "leaves", leaves }, { "nodes", rows }, { "gradients", gradients }, { "ops", ops } };
    }

    /// <summary>The loss ops whose value is the mean (or sum, by their reduction) over the samples of a batch.</summary>
    private static readonly HashSet<string> BatchLosses = new(StringComparer.Ordinal)
    {
        "l2_loss", "softmax_cross_entropy", "mse_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits", "nll_loss", "cross_entropy",
    };

    /// <summary>
    /// How the objective splits across processes that each take a contiguous share of the batch:
    /// each term of the objective (the inputs of a <c>sum</c>, or the objective itself) as
    /// "mean" (a loss averaged over the batch), "sum" (summed over it) or "once" (independent of
    /// the samples, the L2 term); or why the spec cannot be split exactly.
    /// </summary>
    private static Dict Distributed(NetworkGraph graph, HashSet<string> fed)
    {
        string? refused = null;
        var terms = new List<object?>();
        // The values that depend on the samples of the batch.
        var perSample = new bool[graph.Values.Count];
        foreach (var v in graph.Values) if (fed.Contains(v.Name)) perSample[v.Index] = true;
        foreach (var n in graph.Nodes)
        {
            if (n.Inputs.Any(i => perSample[i])) perSample[n.Output] = true;
            if (n.Op.Name == "batch_norm" && graph.TrainingMode)
                refused ??= $"'{n.Name}' is batch_norm in training mode: its batch statistics would be each process's share of the batch, not the whole batch's (NetSpec does not synchronize them); run it in one process";
            if (n.Op.Name == "dropout" && graph.TrainingMode)
                refused ??= $"'{n.Name}' is dropout: its mask is drawn for each element's place in the whole batch; run it in one process";
        }
        if (graph.Spec.Training is null || graph.BackwardFrom < 0)
            return new Dict { { "terms", terms }, { "refused", refused } };
        var objective = graph.Nodes.Single(n => n.Output == graph.BackwardFrom);
        var parts = objective.Op.Name == "sum" ? objective.Inputs : [objective.Output];
        foreach (var i in parts)
        {
            var v = graph.Values[i];
            if (!perSample[i])
            {
                terms.Add(new List<object?> { v.Name, "once" });
                continue;
            }
            var producer = graph.Nodes.FirstOrDefault(n => n.Output == i);
            string? kind = null;
            if (producer is not null && BatchLosses.Contains(producer.Op.Name) && producer.Inputs.Length == 2)
            {
                int r = producer.Op.Attributes.ToList().FindIndex(a => a.Name == "reduction");
                kind = r < 0 ? "mean" : producer.Attributes.Choice(r) switch { "mean" => "mean", "sum" => "sum", _ => null };
            }
            if (kind is null)
                refused ??= $"the objective's term '{v.Name}'{(producer is null ? "" : $" ({producer.Op.Name})")} is not a loss averaged or summed over the samples, so a share of the batch does not give its share of the gradient";
            else terms.Add(new List<object?> { v.Name, kind });
        }
        return new Dict { { "terms", terms }, { "refused", refused } };
    }
}
