using NetSpec.Parser.Diagnostics;
using NetSpec.Parser.Model;
using NetSpec.Parser.Reading;
using NetSpec.Parser.Yaml;
using YamlDotNet.RepresentationModel;

namespace NetSpec.Parser.Sections;

/// <summary>
/// <c>expect:</c>, the values a run must produce (forward values, gradients, updated
/// parameters, each within a tolerance) and checks of the final training metrics.
/// </summary>
internal static class ExpectSection
{
    public static readonly string[] Keys = ["tolerance", "forward", "gradients", "updated", "metrics"];

    public static readonly string[] CheckKeys = ["value", "tolerance", "step"];

    /// <summary>The final metrics a spec can check under <c>expect: metrics:</c>.</summary>
    public static readonly string[] MetricNames =
        ["train_loss", "train_accuracy", "validation_loss", "validation_accuracy", "test_loss", "test_accuracy"];

    public static readonly string[] MetricCheckKeys = ["min", "max"];

    /// <summary>The tolerance used where a check gives none.</summary>
    public const double DefaultTolerance = 1e-9;

    public static (double Tolerance, List<Expectation> Checks) Read(SpecReader r, YamlNode node)
    {
        var checks = new List<Expectation>();
        double tol = DefaultTolerance;
        if (r.Section(node, "'expect'", Keys) is not { } e) return (tol, checks);
        if (e.TryGet("tolerance", out var t)) tol = Tolerance(r, t.Value) ?? tol;
        foreach (var (key, kind) in new[] { ("forward", ExpectKind.Forward), ("gradients", ExpectKind.Gradient), ("updated", ExpectKind.Updated) })
        {
            if (!e.TryGet(key, out var section)) continue;
            if (r.Mapping(section.Value, $"'expect: {key}'") is not { } sm) continue;
            foreach (var (name, nameNode, value) in r.Entries(sm))
            {
                double checkTol = tol;
                int step = 1;
                YamlNode valueNode = value;
                if (value is YamlMappingNode opts)
                {
                    var o = r.Fields(opts, CheckKeys, $"the expectation of '{name}'");
                    if (!o.Require("value", $"the expectation of '{name}' needs 'value:'", out var vv)) continue;
                    valueNode = vv.Value;
                    if (o.TryGet("tolerance", out var ct)) checkTol = Tolerance(r, ct.Value) ?? checkTol;
                    if (o.TryGet("step", out var st))
                    {
                        if (SpecReader.TryDigits(st.Value, out var sn) && sn >= 1) step = sn;
                        else r.Error(Codes.BadSteps, st.Value, $"'step' is a whole number >= 1, not {YamlNodes.Describe(st.Value)}");
                    }
                }
                var tensor = TensorReader.Read(r, valueNode, $"the expected value of '{name}'", finite: true);
                if (tensor is not null)
                    checks.Add(new Expectation(kind, new NameRef(name, r.Span(nameNode)), tensor, checkTol, step));
            }
        }
        return (tol, checks);
    }

    /// <summary><c>expect: metrics:</c>; <paramref name="expectNode"/> is the whole <c>expect:</c> section, already checked by <see cref="Read"/>.</summary>
    public static List<MetricExpectation> ReadMetrics(SpecReader r, YamlNode expectNode)
    {
        var list = new List<MetricExpectation>();
        if (expectNode is not YamlMappingNode em) return list;
        var metrics = em.Children.FirstOrDefault(c => c.Key is YamlScalarNode { Value: "metrics" }).Value;
        if (metrics is null || r.Mapping(metrics, "'expect: metrics'") is not { } map) return list;
        foreach (var (name, nameNode, value) in r.Entries(map))
        {
            if (Array.IndexOf(MetricNames, name) < 0)
            {
                r.Error(Codes.ExpectUnknown, nameNode, $"unknown metric '{YamlNodes.Clip(name)}'{Suggest.DidYouMean(name, MetricNames)} (known: {string.Join(", ", MetricNames)})");
                continue;
            }
            if (r.Section(value, $"the check of '{name}'", MetricCheckKeys) is not { } o) continue;
            double? min = null, max = null;
            if (o.TryGet("min", out var mi) && r.Number(mi.Value, "'min'") is { } mv) min = mv.Value;
            if (o.TryGet("max", out var ma) && r.Number(ma.Value, "'max'") is { } xv) max = xv.Value;
            if (min is null && max is null)
            {
                if (!o.Contains("min") && !o.Contains("max"))
                    r.Error(Codes.MissingField, o.Span, $"the check of '{name}' needs 'min:' or 'max:' (or both)");
                continue;
            }
            list.Add(new MetricExpectation(new NameRef(name, r.Span(nameNode)), min, max, o.Span));
        }
        return list;
    }

    private static double? Tolerance(SpecReader r, YamlNode node)
    {
        if (r.Number(node, "a tolerance") is not { } v) return null;
        if (v.Value >= 0 && double.IsFinite(v.Value)) return v.Value;
        r.Error(Codes.BadTolerance, v.Span, $"a tolerance is a finite number >= 0, not {v}");
        return null;
    }
}
