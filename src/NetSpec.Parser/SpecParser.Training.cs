using System.Globalization;
using NetSpec.Parser.Diagnostics;
using NetSpec.Parser.Model;
using NetSpec.Parser.Yaml;
using YamlDotNet.RepresentationModel;

namespace NetSpec.Parser;

/// <summary>The training sections: <c>dataset:</c>, <c>training:</c>, optimizer settings, metric expectations.</summary>
public sealed partial class SpecParser
{
    public static readonly string[] DatasetKeys =
        ["file", "validation_file", "test_file", "separator", "header", "features", "label", "classes",
         "scale", "standardize", "split", "inputs", "targets", "synthetic"];

    public static readonly string[] SyntheticKeys = ["samples", "validation_samples", "test_samples", "features", "classes", "seed"];

    /// <summary>Keys that describe CSV files, which a synthetic dataset does not have.</summary>
    private static readonly string[] FileOnlyKeys = ["file", "validation_file", "test_file", "separator", "header", "features", "label", "classes"];

    public static readonly string[] SplitKeys = ["validation", "test", "seed"];

    public static readonly string[] TrainingKeys =
        ["epochs", "batch_size", "shuffle", "seed", "accuracy_of", "early_stopping", "checkpoint", "trace", "outputs"];

    public static readonly string[] EarlyStoppingKeys = ["patience", "min_delta"];
    public static readonly string[] CheckpointKeys = ["every", "path"];
    public static readonly string[] TrainingTraceKeys = ["steps", "every"];
    public static readonly string[] OutputKeys = ["parameters", "learning_curve"];
    public static readonly string[] ScheduleKeys = ["type", "gamma", "step_size"];
    public static readonly string[] ScheduleTypes = ["constant", "step", "exponential"];

    /// <summary>The final metrics a spec can check under <c>expect: metrics:</c>.</summary>
    public static readonly string[] MetricNames =
        ["train_loss", "train_accuracy", "validation_loss", "validation_accuracy", "test_loss", "test_accuracy"];

    public static readonly string[] MetricCheckKeys = ["min", "max"];

    private DatasetDecl? ParseDataset(YamlNode node)
    {
        if (Mapping(node, "'dataset'") is not { } map) return null;
        var e = Sections(map, DatasetKeys, "'dataset'");
        bool ok = true;
        SyntheticDecl? synthetic = null;
        if (e.TryGetValue("synthetic", out var syn))
        {
            ok &= (synthetic = ParseSynthetic(syn.Value)) is not null;
            foreach (var key in FileOnlyKeys)
                if (e.Remove(key, out var extra))
                {
                    _d.Error(Codes.InvalidValue, Span(extra.Key), $"'{key}' describes a CSV file; a synthetic dataset has none (remove '{key}' or 'synthetic')");
                    ok = false;
                }
        }
        PathRef? file = null;
        if (!e.TryGetValue("file", out var f))
        {
            if (synthetic is null && syn.Value is null)
            {
                _d.Error(Codes.MissingField, Span(map), "'dataset' needs 'file:', a CSV file relative to the spec (or 'synthetic:')");
                ok = false;
            }
        }
        else ok &= (file = ParsePath(f.Value, "file")) is not null;
        PathRef? validationFile = null, testFile = null;
        if (e.TryGetValue("validation_file", out var vf)) ok &= (validationFile = ParsePath(vf.Value, "validation_file")) is not null;
        if (e.TryGetValue("test_file", out var tf)) ok &= (testFile = ParsePath(tf.Value, "test_file")) is not null;

        char separator = ',';
        if (e.TryGetValue("separator", out var sep))
        {
            if (sep.Value is YamlScalarNode ss && ss.Value is { Length: 1 } sv && sv[0] < 128 && sv[0] is not ('"' or '\n' or '\r'))
                separator = sv[0];
            else
            {
                _d.Error(Codes.InvalidValue, Span(sep.Value), $"'separator' is one ASCII character such as ',' or ';' (quote it), not {YamlNodes.Describe(sep.Value)}");
                ok = false;
            }
        }
        bool header = true;
        if (e.TryGetValue("header", out var h)) ok &= Bool(h.Value, "header", out header);

        NameRef? label = null;
        if (!e.TryGetValue("label", out var l))
        {
            if (syn.Value is null)
            {
            _d.Error(Codes.MissingField, Span(map), "'dataset' needs 'label:', the column holding each sample's class");
            ok = false;
            }
        }
        else if (ColumnName(l.Value, "label") is { } ln) label = ln;
        else ok = false;

        List<NameRef>? features = null;
        if (e.TryGetValue("features", out var fe))
        {
            if (fe.Value is YamlScalarNode fs && fs.Value == "all" && fs.Style == YamlDotNet.Core.ScalarStyle.Plain) features = null;
            else ok &= (features = ColumnList(fe.Value, "features")) is not null;
        }
        List<NameRef>? classes = null;
        if (e.TryGetValue("classes", out var cl)) ok &= (classes = ColumnList(cl.Value, "classes")) is not null;

        var scaling = FeatureScaling.None;
        double factor = 1;
        if (e.TryGetValue("scale", out var sc))
        {
            if (Number(sc.Value, "'scale'") is { } sn && double.IsFinite(sn.Value) && sn.Value != 0)
            {
                scaling = FeatureScaling.Scale;
                factor = sn.Value;
            }
            else
            {
                _d.Error(Codes.InvalidValue, Span(sc.Value), "'scale' is the finite, non-zero factor every feature is multiplied by, e.g. 0.0625 for pixels 0..16");
                ok = false;
            }
        }
        if (e.TryGetValue("standardize", out var st))
        {
            ok &= Bool(st.Value, "standardize", out var standardize);
            if (standardize && scaling == FeatureScaling.Scale)
            {
                _d.Error(Codes.InvalidValue, Span(st.Key), "'standardize: true' and 'scale' exclude each other: choose one");
                ok = false;
            }
            else if (standardize) scaling = FeatureScaling.Standardize;
        }

        SplitDecl? split = null;
        if (e.TryGetValue("split", out var sp)) ok &= (split = ParseSplit(sp.Value, validationFile is not null || synthetic?.ValidationSamples > 0, testFile is not null || synthetic?.TestSamples > 0)) is not null;

        NameRef? inputs = null, targets = null;
        foreach (var (key, what) in new[] { ("inputs", "the graph input the features feed"), ("targets", "the graph input the one-hot labels feed") })
        {
            if (!e.TryGetValue(key, out var v))
            {
                _d.Error(Codes.MissingField, Span(map), $"'dataset' needs '{key}:', {what}");
                ok = false;
                continue;
            }
            if (Text(v.Value, key) is not { } name) { ok = false; continue; }
            if (v.Value is not YamlScalarNode keyScalar || !DeclareName(name, keyScalar, "data")) { ok = false; continue; }
            if (key == "inputs") inputs = new NameRef(name, Span(v.Value));
            else targets = new NameRef(name, Span(v.Value));
        }
        if (!ok || inputs is null || targets is null) return null;
        if (synthetic is null && (file is null || label is null)) return null;
        return new DatasetDecl(file, validationFile, testFile, separator, header, features, label, classes, scaling, factor,
            split, inputs, targets, Span(map)) { Synthetic = synthetic };
    }

    private SyntheticDecl? ParseSynthetic(YamlNode node)
    {
        if (Mapping(node, "'synthetic'") is not { } map) return null;
        var e = Sections(map, SyntheticKeys, "'synthetic'");
        bool ok = true;
        int Count(string key, int min, int? dflt)
        {
            if (!e.TryGetValue(key, out var v))
            {
                if (dflt is { } d) return d;
                _d.Error(Codes.MissingField, Span(map), $"'synthetic' needs '{key}:'");
                ok = false;
                return 0;
            }
            if (v.Value is YamlScalarNode s && int.TryParse(s.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min && n <= 10_000_000)
                return n;
            _d.Error(Codes.InvalidValue, Span(v.Value), $"'{key}' is a whole number >= {min}, not {YamlNodes.Describe(v.Value)}");
            ok = false;
            return 0;
        }
        int samples = Count("samples", 1, null);
        int validation = Count("validation_samples", 0, 0);
        int test = Count("test_samples", 0, 0);
        int features = Count("features", 1, null);
        int classes = Count("classes", 2, null);
        ulong seed = 0;
        if (e.TryGetValue("seed", out var se))
        {
            if (se.Value is YamlScalarNode ss && ulong.TryParse(ss.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var sv)) seed = sv;
            else
            {
                _d.Error(Codes.InvalidValue, Span(se.Value), $"a seed is a non-negative integer, not {YamlNodes.Describe(se.Value)}");
                ok = false;
            }
        }
        return ok ? new SyntheticDecl(samples, validation, test, features, classes, seed, Span(map)) : null;
    }

    private SplitDecl? ParseSplit(YamlNode node, bool hasValidationFile, bool hasTestFile)
    {
        if (Mapping(node, "'split'") is not { } map) return null;
        var e = Sections(map, SplitKeys, "'split'");
        bool ok = true;
        double Fraction(string key, bool separateFile)
        {
            if (!e.TryGetValue(key, out var v)) return 0;
            if (separateFile)
            {
                _d.Error(Codes.InvalidValue, Span(v.Key), $"'split: {key}' and '{key}_file' exclude each other: the {key} samples come from one or the other");
                ok = false;
                return 0;
            }
            if (Number(v.Value, $"'split: {key}'") is { } n && n.Value >= 0 && n.Value < 1) return n.Value;
            _d.Error(Codes.InvalidValue, Span(v.Value), $"'split: {key}' is a fraction of the samples, >= 0 and < 1");
            ok = false;
            return 0;
        }
        double validation = Fraction("validation", hasValidationFile);
        double test = Fraction("test", hasTestFile);
        if (ok && validation + test >= 1)
        {
            _d.Error(Codes.InvalidValue, Span(map), $"the split leaves no training samples: validation {Format.Number(validation)} + test {Format.Number(test)} >= 1");
            ok = false;
        }
        ulong seed = 0;
        if (e.TryGetValue("seed", out var s)) ok &= Seed(s.Value, out seed);
        return ok ? new SplitDecl(validation, test, seed, Span(map)) : null;
    }

    private TrainingDecl? ParseTraining(YamlNode node)
    {
        if (Mapping(node, "'training'") is not { } map) return null;
        var e = Sections(map, TrainingKeys, "'training'");
        bool ok = true;
        int epochs = 1, batch = 32;
        if (!e.TryGetValue("epochs", out var ep))
        {
            _d.Error(Codes.MissingField, Span(map), "'training' needs 'epochs:', how many passes over the training samples");
            ok = false;
        }
        else ok &= WholeNumber(ep.Value, "epochs", 1, 1_000_000, out epochs);
        if (!e.TryGetValue("batch_size", out var bs))
        {
            _d.Error(Codes.MissingField, Span(map), "'training' needs 'batch_size:', the samples per optimizer step");
            ok = false;
        }
        else ok &= WholeNumber(bs.Value, "batch_size", 1, 1_000_000, out batch);
        bool shuffle = true;
        if (e.TryGetValue("shuffle", out var sh)) ok &= Bool(sh.Value, "shuffle", out shuffle);
        ulong seed = 0;
        if (e.TryGetValue("seed", out var se)) ok &= Seed(se.Value, out seed);
        NameRef? accuracyOf = null;
        if (e.TryGetValue("accuracy_of", out var ac))
        {
            if (Text(ac.Value, "accuracy_of") is { } an) accuracyOf = new NameRef(an, Span(ac.Value));
            else ok = false;
        }

        EarlyStoppingDecl? early = null;
        if (e.TryGetValue("early_stopping", out var es) && Mapping(es.Value, "'early_stopping'") is { } esm)
        {
            var o = Sections(esm, EarlyStoppingKeys, "'early_stopping'");
            int patience = 1;
            double minDelta = 0;
            if (!o.TryGetValue("patience", out var pa))
            {
                _d.Error(Codes.MissingField, Span(esm), "'early_stopping' needs 'patience:', the epochs without improvement of the validation loss before training stops");
                ok = false;
            }
            else ok &= WholeNumber(pa.Value, "patience", 1, 1_000_000, out patience);
            if (o.TryGetValue("min_delta", out var md))
            {
                if (Number(md.Value, "'min_delta'") is { } mv && mv.Value >= 0 && double.IsFinite(mv.Value)) minDelta = mv.Value;
                else
                {
                    _d.Error(Codes.InvalidValue, Span(md.Value), "'min_delta' is a finite number >= 0");
                    ok = false;
                }
            }
            early = new EarlyStoppingDecl(patience, minDelta, Span(esm));
        }
        else if (e.ContainsKey("early_stopping")) ok = false;

        CheckpointDecl? checkpoint = null;
        if (e.TryGetValue("checkpoint", out var cp) && Mapping(cp.Value, "'checkpoint'") is { } cpm)
        {
            var o = Sections(cpm, CheckpointKeys, "'checkpoint'");
            int every = 1;
            if (o.TryGetValue("every", out var ev)) ok &= WholeNumber(ev.Value, "every", 1, 1_000_000, out every);
            PathRef? path = null;
            if (!o.TryGetValue("path", out var pv))
            {
                _d.Error(Codes.MissingField, Span(cpm), "'checkpoint' needs 'path:', the checkpoint file relative to the spec");
                ok = false;
            }
            else ok &= (path = ParsePath(pv.Value, "path")) is not null;
            if (path is not null) checkpoint = new CheckpointDecl(every, path, Span(cpm));
        }
        else if (e.ContainsKey("checkpoint")) ok = false;

        var trace = new TrainingTraceDecl([1], 0, Span(map));
        if (e.TryGetValue("trace", out var trn) && Mapping(trn.Value, "'trace'") is { } tm)
        {
            var o = Sections(tm, TrainingTraceKeys, "'trace'");
            var steps = new List<int>();
            if (o.TryGetValue("steps", out var sv))
            {
                if (sv.Value is YamlSequenceNode seq)
                {
                    foreach (var c in seq.Children)
                    {
                        if (WholeNumber(c, "a traced step", 1, int.MaxValue, out var n)) steps.Add(n);
                        else ok = false;
                    }
                }
                else
                {
                    _d.Error(Codes.WrongType, Span(sv.Value), $"'steps' of 'trace' is a list of step numbers such as [1, 2], not {YamlNodes.Describe(sv.Value)}");
                    ok = false;
                }
            }
            int every = 0;
            if (o.TryGetValue("every", out var evn)) ok &= WholeNumber(evn.Value, "every", 0, int.MaxValue, out every);
            trace = new TrainingTraceDecl(steps, every, Span(tm));
        }
        else if (e.ContainsKey("trace")) ok = false;

        TrainingOutputsDecl? outputs = null;
        if (e.TryGetValue("outputs", out var ou) && Mapping(ou.Value, "'outputs'") is { } om)
        {
            var o = Sections(om, OutputKeys, "'outputs'");
            PathRef? parameters = null, curve = null;
            if (o.TryGetValue("parameters", out var pv)) ok &= (parameters = ParsePath(pv.Value, "parameters")) is not null;
            if (o.TryGetValue("learning_curve", out var lc))
            {
                ok &= (curve = ParsePath(lc.Value, "learning_curve")) is not null;
                if (curve is not null && !curve.Path.EndsWith(".png", StringComparison.OrdinalIgnoreCase))
                {
                    _d.Error(Codes.InvalidValue, curve.Span, "'learning_curve' is a PNG file: its name ends in .png");
                    ok = false;
                }
            }
            outputs = new TrainingOutputsDecl(parameters, curve, Span(om));
        }
        else if (e.ContainsKey("outputs")) ok = false;

        return ok ? new TrainingDecl(epochs, batch, shuffle, seed, accuracyOf, early, checkpoint, trace, outputs, Span(map)) : null;
    }

    /// <summary>Momentum and Nesterov (sgd), beta1, beta2 and epsilon (adam), and the schedule. Null on error.</summary>
    private OptimizerSettings? ParseOptimizerSettings(Dictionary<string, (YamlScalarNode Key, YamlNode Value)> e, string? type)
    {
        bool ok = true;
        double momentum = 0, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8;
        bool nesterov = false;
        double Setting(string key, double dflt, string range, Func<double, bool> valid)
        {
            if (!e.TryGetValue(key, out var v)) return dflt;
            if (Number(v.Value, $"'{key}'") is not { } n) { ok = false; return dflt; }
            if (valid(n.Value)) return n.Value;
            _d.Error(Codes.InvalidValue, n.Span, $"'{key}' must be {range}, not {n}");
            ok = false;
            return dflt;
        }
        void OnlyFor(string key, string optimizer)
        {
            if (type is null || type == optimizer || !e.TryGetValue(key, out var v)) return;
            _d.Error(Codes.UnknownKey, Span(v.Key), $"'{key}' is a setting of the {optimizer} optimizer, not of {type}");
            ok = false;
        }
        momentum = Setting("momentum", 0, ">= 0 and < 1", x => x >= 0 && x < 1);
        beta1 = Setting("beta1", 0.9, ">= 0 and < 1", x => x >= 0 && x < 1);
        beta2 = Setting("beta2", 0.999, ">= 0 and < 1", x => x >= 0 && x < 1);
        epsilon = Setting("epsilon", 1e-8, "a finite number > 0", x => x > 0 && double.IsFinite(x));
        OnlyFor("momentum", "sgd");
        OnlyFor("nesterov", "sgd");
        OnlyFor("beta1", "adam");
        OnlyFor("beta2", "adam");
        OnlyFor("epsilon", "adam");
        if (e.TryGetValue("nesterov", out var ne))
        {
            ok &= Bool(ne.Value, "nesterov", out nesterov);
            if (nesterov && momentum == 0)
            {
                _d.Error(Codes.InvalidValue, Span(ne.Value), "Nesterov momentum needs 'momentum:' > 0");
                ok = false;
            }
        }
        ScheduleDecl? schedule = null;
        if (e.TryGetValue("schedule", out var sc))
        {
            schedule = ParseSchedule(sc.Value);
            ok &= schedule is not null;
        }
        return ok ? new OptimizerSettings(momentum, nesterov, beta1, beta2, epsilon, schedule) : null;
    }

    private ScheduleDecl? ParseSchedule(YamlNode node)
    {
        if (Mapping(node, "'schedule'") is not { } map) return null;
        var e = Sections(map, ScheduleKeys, "'schedule'");
        bool ok = true;
        NameRef? type = null;
        if (!e.TryGetValue("type", out var t))
        {
            _d.Error(Codes.MissingField, Span(map), $"'schedule' needs 'type:' ({string.Join(", ", ScheduleTypes)})");
            return null;
        }
        if (Text(t.Value, "type") is { } ts)
        {
            if (Array.IndexOf(ScheduleTypes, ts) < 0)
                _d.Error(Codes.InvalidValue, Span(t.Value), $"unknown schedule '{YamlNodes.Clip(ts)}'{Suggest.DidYouMean(ts, ScheduleTypes)} (known: {string.Join(", ", ScheduleTypes)})");
            else type = new NameRef(ts, Span(t.Value));
        }
        if (type is null) return null;
        double gamma = 1;
        int stepSize = 1;
        bool needsGamma = type.Name != "constant";
        if (e.TryGetValue("gamma", out var g))
        {
            if (!needsGamma)
            {
                _d.Error(Codes.UnknownKey, Span(g.Key), "a constant schedule has no 'gamma'");
                ok = false;
            }
            else if (Number(g.Value, "'gamma'") is { } gv && gv.Value > 0 && gv.Value <= 1) gamma = gv.Value;
            else
            {
                _d.Error(Codes.InvalidValue, Span(g.Value), "'gamma' is the factor the learning rate is multiplied by, > 0 and <= 1");
                ok = false;
            }
        }
        else if (needsGamma)
        {
            _d.Error(Codes.MissingField, Span(map), $"a {type.Name} schedule needs 'gamma:', the factor the learning rate is multiplied by");
            ok = false;
        }
        if (e.TryGetValue("step_size", out var s))
        {
            if (type.Name != "step")
            {
                _d.Error(Codes.UnknownKey, Span(s.Key), $"'step_size' belongs to the step schedule, not to {type.Name}");
                ok = false;
            }
            else ok &= WholeNumber(s.Value, "step_size", 1, 1_000_000, out stepSize);
        }
        else if (type.Name == "step")
        {
            _d.Error(Codes.MissingField, Span(map), "a step schedule needs 'step_size:', the epochs between two reductions");
            ok = false;
        }
        return ok ? new ScheduleDecl(type, gamma, stepSize, Span(map)) : null;
    }

    private List<MetricExpectation> ParseMetricExpectations(YamlNode expectNode)
    {
        var list = new List<MetricExpectation>();
        if (expectNode is not YamlMappingNode em) return list;
        var metrics = em.Children.FirstOrDefault(c => c.Key is YamlScalarNode { Value: "metrics" }).Value;
        if (metrics is null || Mapping(metrics, "'expect: metrics'") is not { } map) return list;
        foreach (var (name, nameNode, value) in YamlNodes.Entries(_path, map, _d))
        {
            if (Array.IndexOf(MetricNames, name) < 0)
            {
                _d.Error(Codes.ExpectUnknown, Span(nameNode), $"unknown metric '{YamlNodes.Clip(name)}'{Suggest.DidYouMean(name, MetricNames)} (known: {string.Join(", ", MetricNames)})");
                continue;
            }
            if (Mapping(value, $"the check of '{name}'") is not { } cm) continue;
            var o = Sections(cm, MetricCheckKeys, $"the check of '{name}'");
            double? min = null, max = null;
            if (o.TryGetValue("min", out var mi) && Number(mi.Value, "'min'") is { } mv) min = mv.Value;
            if (o.TryGetValue("max", out var ma) && Number(ma.Value, "'max'") is { } xv) max = xv.Value;
            if (min is null && max is null)
            {
                if (!o.ContainsKey("min") && !o.ContainsKey("max"))
                    _d.Error(Codes.MissingField, Span(cm), $"the check of '{name}' needs 'min:' or 'max:' (or both)");
                continue;
            }
            list.Add(new MetricExpectation(new NameRef(name, Span(nameNode)), min, max, Span(cm)));
        }
        return list;
    }

    /// <summary>A file path relative to the spec; it may not leave the spec's folder unless the limits allow it.</summary>
    private PathRef? ParsePath(YamlNode node, string what)
    {
        if (Text(node, what) is not { } text) return null;
        if (text.Length == 0 || text.IndexOfAny(['\0', '\n', '\r']) >= 0)
        {
            _d.Error(Codes.InvalidValue, Span(node), $"'{what}' is not a usable file path");
            return null;
        }
        if (!_limits.AllowOutsidePaths)
        {
            string folder = System.IO.Path.GetFullPath(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(_path)) ?? ".");
            string full = System.IO.Path.GetFullPath(System.IO.Path.Combine(folder, text));
            string prefix = folder.EndsWith(System.IO.Path.DirectorySeparatorChar) ? folder : folder + System.IO.Path.DirectorySeparatorChar;
            if (System.IO.Path.IsPathRooted(text) || !full.StartsWith(prefix, StringComparison.Ordinal))
            {
                _d.Error(Codes.PathOutsideSpec, Span(node),
                    $"'{what}' points outside the spec's folder ({YamlNodes.Clip(text)}); paths are relative to the spec and stay below it (--allow-outside-paths lifts this)");
                return null;
            }
        }
        return new PathRef(text, Span(node));
    }

    private bool Bool(YamlNode node, string what, out bool value)
    {
        value = false;
        if (node is YamlScalarNode s && s.Style == YamlDotNet.Core.ScalarStyle.Plain)
        {
            switch (s.Value)
            {
                case "true" or "True" or "TRUE": value = true; return true;
                case "false" or "False" or "FALSE": return true;
            }
        }
        _d.Error(Codes.WrongType, Span(node), $"'{what}' is true or false, not {YamlNodes.Describe(node)}");
        return false;
    }

    private bool Seed(YamlNode node, out ulong seed)
    {
        if (node is YamlScalarNode ss && ulong.TryParse(ss.Value, NumberStyles.None, CultureInfo.InvariantCulture, out seed)) return true;
        seed = 0;
        _d.Error(Codes.InvalidValue, Span(node), $"a seed is a non-negative integer, not {YamlNodes.Describe(node)}");
        return false;
    }

    /// <summary>A whole number in [min, max], written literally or as a hyperparameter name.</summary>
    private bool WholeNumber(YamlNode node, string what, int min, int max, out int value)
    {
        value = min;
        if (Number(node, $"'{what}'") is not { } n) return false;
        if (n.Value >= min && n.Value <= max && Math.Floor(n.Value) == n.Value)
        {
            value = (int)n.Value;
            return true;
        }
        _d.Error(what is "epochs" or "batch_size" ? Codes.BadSteps : Codes.InvalidValue, n.Span,
            $"'{what}' must be a whole number >= {min}{(max < int.MaxValue ? $" and <= {max}" : "")}, not {n}");
        return false;
    }

    private NameRef? ColumnName(YamlNode node, string what)
    {
        if (node is YamlScalarNode s && !YamlNodes.IsNull(s) && s.Value is { Length: > 0 } v) return new NameRef(v, Span(s));
        _d.Error(Codes.WrongType, Span(node), $"'{what}' names a column, not {YamlNodes.Describe(node)}");
        return null;
    }

    private List<NameRef>? ColumnList(YamlNode node, string what)
    {
        if (node is not YamlSequenceNode seq || seq.Children.Count == 0)
        {
            _d.Error(Codes.WrongType, Span(node), $"'{what}' is a non-empty list of names{(what == "features" ? " (or 'all')" : "")}, not {YamlNodes.Describe(node)}");
            return null;
        }
        var list = new List<NameRef>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var c in seq.Children)
        {
            if (ColumnName(c, what) is not { } n) return null;
            if (!seen.Add(n.Name))
            {
                _d.Error(Codes.DuplicateName, n.Span, $"'{YamlNodes.Clip(n.Name)}' is listed twice in '{what}'");
                return null;
            }
            list.Add(n);
        }
        return list;
    }
}
