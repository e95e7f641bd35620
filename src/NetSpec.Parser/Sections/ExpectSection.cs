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
    public static readonly string[] Keys = ["tolerance", "rtol", "atol", "forward", "gradients", "updated", "metrics"];

    public static readonly string[] CheckKeys = ["value", "tolerance", "rtol", "atol", "step", "epoch"];

    /// <summary>The final metrics a spec can check under <c>expect: metrics:</c>.</summary>
    public static readonly string[] MetricNames =
        ["train_loss", "train_accuracy", "validation_loss", "validation_accuracy", "test_loss", "test_accuracy"];

    public static readonly string[] MetricCheckKeys = ["min", "max"];

    /// <summary>The tolerance used where a check gives none.</summary>
    public const double DefaultTolerance = 1e-9;

    /// <summary>The rule a check applies: <c>tolerance</c>'s (AllClose null) or numpy's allclose.</summary>
    private readonly record struct Rule(double Tolerance, AllClose? AllClose);

    /// <summary>
    /// The checks of <c>expect:</c> (forward, gradients, updated) and its default rule. A name's
    /// check is a tensor, a mapping <c>{value, tolerance | rtol, atol, step | epoch}</c>, or a
    /// list of such mappings (one name checked at several steps).
    /// </summary>
    public static (double Tolerance, AllClose? AllClose, List<Expectation> Checks) Read(SpecReader r, YamlNode node)
    {
        var checks = new List<Expectation>();
        var rule = new Rule(DefaultTolerance, null);
        if (r.Section(node, "'expect'", Keys) is not { } e) return (rule.Tolerance, rule.AllClose, checks);
        rule = ReadRule(r, e, rule, "'expect'");
        foreach (var (key, kind) in new[] { ("forward", ExpectKind.Forward), ("gradients", ExpectKind.Gradient), ("updated", ExpectKind.Updated) })
        {
            if (!e.TryGet(key, out var section)) continue;
            if (r.Mapping(section.Value, $"'expect: {key}'") is not { } sm) continue;
            foreach (var (name, nameNode, value) in r.Entries(sm))
            {
                if (value is YamlSequenceNode { Children.Count: > 0 } seq && seq.Children[0] is YamlMappingNode)
                {
                    foreach (var item in seq.Children)
                    {
                        if (item is YamlMappingNode m) Check(r, kind, name, nameNode, m, rule, checks);
                        else r.Error(Codes.WrongType, item, $"the checks of '{name}' are a list of mappings such as {{value: 0.5, step: 2}}, not {YamlNodes.Describe(item)}");
                    }
                }
                else if (value is YamlMappingNode opts) Check(r, kind, name, nameNode, opts, rule, checks);
                else if (TensorReader.Read(r, value, $"the expected value of '{name}'", finite: true) is { } tensor)
                    checks.Add(new Expectation(kind, new NameRef(name, r.Span(nameNode)), tensor, rule.Tolerance, kind == ExpectKind.Updated ? 0 : 1) { AllClose = rule.AllClose });
            }
        }
        return (rule.Tolerance, rule.AllClose, checks);
    }

    /// <summary>One check written as a mapping; added to <paramref name="checks"/> unless it has a mistake.</summary>
    private static void Check(SpecReader r, ExpectKind kind, string name, YamlScalarNode nameNode, YamlMappingNode map, Rule defaults, List<Expectation> checks)
    {
        var o = r.Fields(map, CheckKeys, $"the expectation of '{name}'");
        if (!o.Require("value", $"the expectation of '{name}' needs 'value:'", out var vv)) return;
        bool ok = true;
        var rule = ReadRule(r, o, defaults, $"the expectation of '{name}'");
        int step = kind == ExpectKind.Updated ? 0 : 1, epoch = 0;
        SourceSpan? when = null;
        if (o.TryGet("step", out var st))
        {
            if (SpecReader.TryDigits(st.Value, out var sn) && sn >= 1) step = sn;
            else
            {
                r.Error(Codes.BadSteps, st.Value, $"'step' is a whole number >= 1, not {YamlNodes.Describe(st.Value)}");
                ok = false;
            }
            when = r.Span(st.Value);
        }
        if (o.TryGet("epoch", out var ep))
        {
            if (o.Contains("step"))
            {
                r.Error(Codes.BadSteps, ep.Key, $"the expectation of '{name}' names a step or an epoch, not both");
                ok = false;
            }
            else if (SpecReader.TryDigits(ep.Value, out var en) && en >= 1) (epoch, step) = (en, 0);
            else
            {
                r.Error(Codes.BadSteps, ep.Value, $"'epoch' is a whole number >= 1, not {YamlNodes.Describe(ep.Value)}");
                ok = false;
            }
            when = r.Span(ep.Value);
        }
        var tensor = TensorReader.Read(r, vv.Value, $"the expected value of '{name}'", finite: true);
        if (tensor is not null && ok)
            checks.Add(new Expectation(kind, new NameRef(name, r.Span(nameNode)), tensor, rule.Tolerance, step) { AllClose = rule.AllClose, Epoch = epoch, WhenSpan = when });
    }

    /// <summary>
    /// <c>tolerance:</c>, or <c>rtol:</c> and <c>atol:</c> (a missing one is 0), in <paramref name="o"/>;
    /// <paramref name="inherited"/> when it writes neither or on a mistake.
    /// </summary>
    private static Rule ReadRule(SpecReader r, Fields o, Rule inherited, string where)
    {
        bool hasTol = o.TryGet("tolerance", out var t), hasR = o.TryGet("rtol", out var rt), hasA = o.TryGet("atol", out var at);
        if (hasTol && (hasR || hasA))
        {
            r.Error(Codes.BadTolerance, (hasR ? rt : at).Key, $"{where} writes 'tolerance' (|a - e| <= tolerance max(1, |e|)) and '{(hasR ? "rtol" : "atol")}' (|a - e| <= atol + rtol |e|): write one rule");
            return inherited;
        }
        if (hasTol) return Tolerance(r, t.Value, "a tolerance") is { } tol ? new Rule(tol, null) : inherited;
        if (!hasR && !hasA) return inherited;
        double? rtol = hasR ? Tolerance(r, rt.Value, "'rtol'") : 0, atol = hasA ? Tolerance(r, at.Value, "'atol'") : 0;
        return rtol is { } rv && atol is { } av ? new Rule(inherited.Tolerance, new AllClose(rv, av)) : inherited;
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

    private static double? Tolerance(SpecReader r, YamlNode node, string what)
    {
        if (r.Number(node, what) is not { } v) return null;
        if (v.Value >= 0 && double.IsFinite(v.Value)) return v.Value;
        r.Error(Codes.BadTolerance, v.Span, $"{what} is a finite number >= 0, not {v}");
        return null;
    }
}
