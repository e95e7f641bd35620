using NetSpec.Parser.Diagnostics;
using NetSpec.Parser.Model;
using NetSpec.Parser.Reading;
using NetSpec.Parser.Yaml;
using YamlDotNet.RepresentationModel;

namespace NetSpec.Parser.Sections;

/// <summary>
/// <c>training:</c>, epochs over the dataset in mini-batches: shuffling, the accuracy node,
/// early stopping, checkpoints, which steps are traced, and the files a run writes.
/// </summary>
internal static class TrainingSection
{
    public static readonly string[] Keys =
        ["epochs", "batch_size", "shuffle", "seed", "accuracy_of", "early_stopping", "checkpoint", "trace", "outputs", "divergence"];

    public static readonly string[] EarlyStoppingKeys = ["patience", "min_delta", "restore_best"];
    public static readonly string[] CheckpointKeys = ["every", "path"];
    public static readonly string[] TraceKeys = ["steps", "every"];
    public static readonly string[] OutputKeys = ["parameters", "best_parameters", "learning_curve"];

    /// <summary>The default of <c>divergence:</c>: stop when the smoothed loss exceeds 10 times its best.</summary>
    public const double DefaultDivergenceFactor = 10;

    public static TrainingDecl? Read(SpecReader r, YamlNode node)
    {
        if (r.Section(node, "'training'", Keys) is not { } e) return null;
        bool ok = true;
        int epochs = 1, batch = 32;
        if (e.Require("epochs", "'training' needs 'epochs:', how many passes over the training samples", out var ep))
            ok &= r.WholeNumber(ep.Value, "epochs", 1, 1_000_000, out epochs);
        else ok = false;
        if (e.Require("batch_size", "'training' needs 'batch_size:', the samples per optimizer step", out var bs))
            ok &= r.WholeNumber(bs.Value, "batch_size", 1, 1_000_000, out batch);
        else ok = false;
        bool shuffle = true;
        if (e.TryGet("shuffle", out var sh)) ok &= r.Bool(sh.Value, "shuffle", out shuffle);
        ulong seed = 0;
        if (e.TryGet("seed", out var se)) ok &= r.Seed(se.Value, out seed);
        NameRef? accuracyOf = null;
        if (e.TryGet("accuracy_of", out var ac))
        {
            if (r.Text(ac.Value, "accuracy_of") is { } an) accuracyOf = new NameRef(an, r.Span(ac.Value));
            else ok = false;
        }
        var early = Part(r, e, "early_stopping", EarlyStoppingKeys, ref ok, EarlyStopping);
        var checkpoint = Part(r, e, "checkpoint", CheckpointKeys, ref ok, Checkpoint);
        var trace = Part(r, e, "trace", TraceKeys, ref ok, Trace) ?? new TrainingTraceDecl([1], 0, e.Span);
        var outputs = Part(r, e, "outputs", OutputKeys, ref ok, Outputs);
        double divergence = DefaultDivergenceFactor;
        if (e.TryGet("divergence", out var dv)) ok &= Divergence(r, dv.Value, out divergence);
        return ok ? new TrainingDecl(epochs, batch, shuffle, seed, accuracyOf, early, checkpoint, trace, outputs, e.Span) { DivergenceFactor = divergence } : null;
    }

    /// <summary><c>divergence: 10</c> (a factor above 1), <c>true</c> (the default factor) or <c>false</c> (never; a NaN loss still stops the run).</summary>
    private static bool Divergence(SpecReader r, YamlNode node, out double factor)
    {
        factor = DefaultDivergenceFactor;
        if (node is YamlScalarNode { Style: YamlDotNet.Core.ScalarStyle.Plain, Value: "true" or "True" or "TRUE" or "false" or "False" or "FALSE" })
        {
            r.Bool(node, "divergence", out bool on);
            factor = on ? DefaultDivergenceFactor : 0;
            return true;
        }
        if (r.Number(node, "'divergence'") is not { } n) return false;
        if (n.Value > 1 && double.IsFinite(n.Value))
        {
            factor = n.Value;
            return true;
        }
        r.Error(Codes.InvalidValue, n.Span, $"'divergence' is the factor above its best at which the smoothed training loss stops the run, a number > 1 (or false: never), not {n}");
        return false;
    }

    /// <summary>A sub-section of <c>training:</c>, read by <paramref name="read"/> when it is a mapping; ok becomes false on any error.</summary>
    private static T? Part<T>(SpecReader r, Fields training, string key, string[] keys, ref bool ok, Func<SpecReader, Fields, (T? Value, bool Ok)> read)
        where T : class
    {
        if (!training.TryGet(key, out var field)) return null;
        if (r.Section(field.Value, $"'{key}'", keys) is not { } e)
        {
            ok = false;
            return null;
        }
        var (value, partOk) = read(r, e);
        ok &= partOk;
        return value;
    }

    private static (EarlyStoppingDecl?, bool) EarlyStopping(SpecReader r, Fields o)
    {
        bool ok = true;
        int patience = 1;
        double minDelta = 0;
        if (o.Require("patience", "'early_stopping' needs 'patience:', the epochs without improvement of the validation loss before training stops", out var pa))
            ok &= r.WholeNumber(pa.Value, "patience", 1, 1_000_000, out patience);
        else ok = false;
        if (o.TryGet("min_delta", out var md))
        {
            if (r.Number(md.Value, "'min_delta'") is { } mv && mv.Value >= 0 && double.IsFinite(mv.Value)) minDelta = mv.Value;
            else
            {
                r.Error(Codes.InvalidValue, md.Value, "'min_delta' is a finite number >= 0");
                ok = false;
            }
        }
        bool restore = true;
        if (o.TryGet("restore_best", out var rb)) ok &= r.Bool(rb.Value, "restore_best", out restore);
        return (new EarlyStoppingDecl(patience, minDelta, o.Span) { RestoreBest = restore }, ok);
    }

    private static (CheckpointDecl?, bool) Checkpoint(SpecReader r, Fields o)
    {
        bool ok = true;
        int every = 1;
        if (o.TryGet("every", out var ev)) ok &= r.WholeNumber(ev.Value, "every", 1, 1_000_000, out every);
        PathRef? path = null;
        if (o.Require("path", "'checkpoint' needs 'path:', the checkpoint file relative to the spec", out var pv))
            ok &= (path = r.RelativePath(pv.Value, "path")) is not null;
        else ok = false;
        return (path is null ? null : new CheckpointDecl(every, path, o.Span), ok);
    }

    private static (TrainingTraceDecl?, bool) Trace(SpecReader r, Fields o)
    {
        bool ok = true;
        var steps = new List<int>();
        if (o.TryGet("steps", out var sv))
        {
            if (sv.Value is YamlSequenceNode seq)
            {
                foreach (var c in seq.Children)
                {
                    if (r.WholeNumber(c, "a traced step", 1, int.MaxValue, out var n)) steps.Add(n);
                    else ok = false;
                }
            }
            else
            {
                r.Error(Codes.WrongType, sv.Value, $"'steps' of 'trace' is a list of step numbers such as [1, 2], not {YamlNodes.Describe(sv.Value)}");
                ok = false;
            }
        }
        int every = 0;
        if (o.TryGet("every", out var evn)) ok &= r.WholeNumber(evn.Value, "every", 0, int.MaxValue, out every);
        return (new TrainingTraceDecl(steps, every, o.Span), ok);
    }

    private static (TrainingOutputsDecl?, bool) Outputs(SpecReader r, Fields o)
    {
        bool ok = true;
        PathRef? parameters = null, curve = null, best = null;
        if (o.TryGet("parameters", out var pv)) ok &= (parameters = r.RelativePath(pv.Value, "parameters")) is not null;
        if (o.TryGet("best_parameters", out var bp)) ok &= (best = r.RelativePath(bp.Value, "best_parameters")) is not null;
        if (o.TryGet("learning_curve", out var lc))
        {
            ok &= (curve = r.RelativePath(lc.Value, "learning_curve")) is not null;
            if (curve is not null && !curve.Path.EndsWith(".png", StringComparison.OrdinalIgnoreCase))
            {
                r.Error(Codes.InvalidValue, curve.Span, "'learning_curve' is a PNG file: its name ends in .png (the CSV and SVG files are written beside it)");
                ok = false;
            }
        }
        return (new TrainingOutputsDecl(parameters, curve, o.Span) { BestParameters = best }, ok);
    }
}
