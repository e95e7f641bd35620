using NetSpec.Parser.Diagnostics;
using NetSpec.Parser.Model;
using NetSpec.Parser.Reading;
using NetSpec.Parser.Yaml;
using YamlDotNet.RepresentationModel;

namespace NetSpec.Parser.Sections;

/// <summary>
/// <c>dataset:</c>, the samples a training spec learns from: CSV files (or a synthetic source),
/// which columns are features and which the label, scaling, the split, and the graph inputs the
/// features and one-hot labels feed.
/// </summary>
internal static class DatasetSection
{
    public static readonly string[] Keys =
        ["file", "validation_file", "test_file", "separator", "header", "features", "label", "classes",
         "scale", "standardize", "split", "inputs", "targets", "synthetic"];

    public static readonly string[] SplitKeys = ["validation", "test", "seed"];

    /// <summary>Keys that describe CSV files, which a synthetic dataset does not have.</summary>
    private static readonly string[] FileOnlyKeys = ["file", "validation_file", "test_file", "separator", "header", "features", "label", "classes"];

    /// <summary>A CSV file's <c>separator:</c> (one ASCII character, ',' unless given), shared by data sets and data files; false after a diagnostic.</summary>
    internal static bool Separator(SpecReader r, Fields e, out char separator)
    {
        separator = ',';
        if (!e.TryGet("separator", out var sep)) return true;
        if (sep.Value is YamlScalarNode ss && ss.Value is { Length: 1 } sv && sv[0] < 128 && sv[0] is not ('"' or '\n' or '\r'))
        {
            separator = sv[0];
            return true;
        }
        r.Error(Codes.InvalidValue, sep.Value, $"'separator' is one ASCII character such as ',' or ';' (quote it), not {YamlNodes.Describe(sep.Value)}");
        return false;
    }

    public static DatasetDecl? Read(SpecReader r, YamlNode node)
    {
        if (r.Section(node, "'dataset'", Keys) is not { } e) return null;
        bool ok = true;
        SyntheticDecl? synthetic = null;
        bool isSynthetic = e.TryGet("synthetic", out var syn);
        if (isSynthetic)
        {
            ok &= (synthetic = SyntheticSection.Read(r, syn.Value)) is not null;
            foreach (var key in FileOnlyKeys)
                if (e.Remove(key, out var extra))
                {
                    r.Error(Codes.InvalidValue, extra.Key, $"'{key}' describes a CSV file; a synthetic dataset has none (remove '{key}' or 'synthetic')");
                    ok = false;
                }
        }
        PathRef? file = null;
        if (e.TryGet("file", out var f)) ok &= (file = r.RelativePath(f.Value, "file")) is not null;
        else if (!isSynthetic)
        {
            e.Missing("file", "'dataset' needs 'file:', a CSV file relative to the spec (or 'synthetic:')");
            ok = false;
        }
        PathRef? validationFile = null, testFile = null;
        if (e.TryGet("validation_file", out var vf)) ok &= (validationFile = r.RelativePath(vf.Value, "validation_file")) is not null;
        if (e.TryGet("test_file", out var tf)) ok &= (testFile = r.RelativePath(tf.Value, "test_file")) is not null;

        ok &= Separator(r, e, out char separator);
        bool header = true;
        if (e.TryGet("header", out var h)) ok &= r.Bool(h.Value, "header", out header);

        NameRef? label = null;
        if (e.TryGet("label", out var l)) ok &= (label = ColumnName(r, l.Value, "label")) is not null;
        else if (!isSynthetic)
        {
            e.Missing("label", "'dataset' needs 'label:', the column holding each sample's class");
            ok = false;
        }

        List<NameRef>? features = null;
        if (e.TryGet("features", out var fe) &&
            !(fe.Value is YamlScalarNode fs && fs.Value == "all" && fs.Style == YamlDotNet.Core.ScalarStyle.Plain))
            ok &= (features = ColumnList(r, fe.Value, "features")) is not null;
        List<NameRef>? classes = null;
        if (e.TryGet("classes", out var cl)) ok &= (classes = ColumnList(r, cl.Value, "classes")) is not null;

        var scaling = FeatureScaling.None;
        double factor = 1;
        if (e.TryGet("scale", out var sc))
        {
            if (r.Number(sc.Value, "'scale'") is { } sn && double.IsFinite(sn.Value) && sn.Value != 0)
            {
                scaling = FeatureScaling.Scale;
                factor = sn.Value;
            }
            else
            {
                r.Error(Codes.InvalidValue, sc.Value, "'scale' is the finite, non-zero factor every feature is multiplied by, e.g. 0.0625 for pixels 0..16");
                ok = false;
            }
        }
        if (e.TryGet("standardize", out var st))
        {
            ok &= r.Bool(st.Value, "standardize", out var standardize);
            if (standardize && scaling == FeatureScaling.Scale)
            {
                r.Error(Codes.InvalidValue, st.Key, "'standardize: true' and 'scale' exclude each other: choose one");
                ok = false;
            }
            else if (standardize) scaling = FeatureScaling.Standardize;
        }

        SplitDecl? split = null;
        if (e.TryGet("split", out var sp))
            ok &= (split = Split(r, sp.Value, validationFile is not null || synthetic?.ValidationSamples > 0, testFile is not null || synthetic?.TestSamples > 0)) is not null;

        NameRef? inputs = null, targets = null;
        foreach (var (key, what) in new[] { ("inputs", "the graph input the features feed"), ("targets", "the graph input the one-hot labels feed") })
        {
            if (!e.Require(key, $"'dataset' needs '{key}:', {what}", out var v)) { ok = false; continue; }
            if (r.Text(v.Value, key) is not { } name) { ok = false; continue; }
            if (v.Value is not YamlScalarNode at || !r.Declare(name, at, "data")) { ok = false; continue; }
            if (key == "inputs") inputs = new NameRef(name, r.Span(v.Value));
            else targets = new NameRef(name, r.Span(v.Value));
        }
        if (!ok || inputs is null || targets is null) return null;
        if (synthetic is null && (file is null || label is null)) return null;
        return new DatasetDecl(file, validationFile, testFile, separator, header, features, label, classes, scaling, factor,
            split, inputs, targets, e.Span) { Synthetic = synthetic };
    }

    private static SplitDecl? Split(SpecReader r, YamlNode node, bool hasValidationFile, bool hasTestFile)
    {
        if (r.Section(node, "'split'", SplitKeys) is not { } e) return null;
        bool ok = true;
        double Fraction(string key, bool separateFile)
        {
            if (!e.TryGet(key, out var v)) return 0;
            if (separateFile)
            {
                r.Error(Codes.InvalidValue, v.Key, $"'split: {key}' and '{key}_file' exclude each other: the {key} samples come from one or the other");
                ok = false;
                return 0;
            }
            if (r.Number(v.Value, $"'split: {key}'") is { } n && n.Value >= 0 && n.Value < 1) return n.Value;
            r.Error(Codes.InvalidValue, v.Value, $"'split: {key}' is a fraction of the samples, >= 0 and < 1");
            ok = false;
            return 0;
        }
        double validation = Fraction("validation", hasValidationFile);
        double test = Fraction("test", hasTestFile);
        if (ok && validation + test >= 1)
        {
            r.Error(Codes.InvalidValue, e.Span, $"the split leaves no training samples: validation {Format.Number(validation)} + test {Format.Number(test)} >= 1");
            ok = false;
        }
        ulong seed = 0;
        if (e.TryGet("seed", out var s)) ok &= r.Seed(s.Value, out seed);
        return ok ? new SplitDecl(validation, test, seed, e.Span) : null;
    }

    private static NameRef? ColumnName(SpecReader r, YamlNode node, string what)
    {
        if (node is YamlScalarNode s && !YamlNodes.IsNull(s) && s.Value is { Length: > 0 } v) return new NameRef(v, r.Span(s));
        r.Error(Codes.WrongType, node, $"'{what}' names a column, not {YamlNodes.Describe(node)}");
        return null;
    }

    private static List<NameRef>? ColumnList(SpecReader r, YamlNode node, string what)
    {
        if (node is not YamlSequenceNode seq || seq.Children.Count == 0)
        {
            r.Error(Codes.WrongType, node, $"'{what}' is a non-empty list of names{(what == "features" ? " (or 'all')" : "")}, not {YamlNodes.Describe(node)}");
            return null;
        }
        var list = new List<NameRef>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var c in seq.Children)
        {
            if (ColumnName(r, c, what) is not { } n) return null;
            if (!seen.Add(n.Name))
            {
                r.Error(Codes.DuplicateName, n.Span, $"'{YamlNodes.Clip(n.Name)}' is listed twice in '{what}'");
                return null;
            }
            list.Add(n);
        }
        return list;
    }
}
