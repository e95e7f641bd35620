using NetSpec.Parser.Diagnostics;
using NetSpec.Parser.Model;
using NetSpec.Parser.Reading;
using YamlDotNet.RepresentationModel;

namespace NetSpec.Parser.Sections;

/// <summary><c>optimizer: schedule:</c>, how the learning rate changes over epochs.</summary>
internal static class ScheduleSection
{
    public static readonly string[] Keys = ["type", "gamma", "step_size", "factor", "patience", "threshold", "cooldown", "min_lr"];

    public static readonly string[] Types = ["constant", "step", "exponential", "plateau"];

    /// <summary>The keys of the plateau schedule (PyTorch's ReduceLROnPlateau names).</summary>
    private static readonly string[] PlateauKeys = ["factor", "patience", "threshold", "cooldown", "min_lr"];

    public static ScheduleDecl? Read(SpecReader r, YamlNode node)
    {
        if (r.Section(node, "'schedule'", Keys) is not { } e) return null;
        if (!e.Require("type", $"'schedule' needs 'type:' ({string.Join(", ", Types)})", out var t)) return null;
        if (r.Choice(t.Value, "type", "schedule", Types) is not { } type) return null;
        bool ok = true;
        double gamma = 1;
        int stepSize = 1;
        bool plateau = type.Name == "plateau";
        bool needsGamma = type.Name is "step" or "exponential";
        if (e.TryGet("gamma", out var g))
        {
            if (!needsGamma)
            {
                r.Error(Codes.UnknownKey, g.Key, plateau
                    ? "a plateau schedule names its factor 'factor' (PyTorch's ReduceLROnPlateau), not 'gamma'"
                    : "a constant schedule has no 'gamma'");
                ok = false;
            }
            else if (r.Number(g.Value, "'gamma'") is { } gv && gv.Value > 0 && gv.Value <= 1) gamma = gv.Value;
            else
            {
                r.Error(Codes.InvalidValue, g.Value, "'gamma' is the factor the learning rate is multiplied by, > 0 and <= 1");
                ok = false;
            }
        }
        else if (needsGamma)
        {
            e.Missing("gamma", $"a {type.Name} schedule needs 'gamma:', the factor the learning rate is multiplied by");
            ok = false;
        }
        if (e.TryGet("step_size", out var s))
        {
            if (type.Name != "step")
            {
                r.Error(Codes.UnknownKey, s.Key, $"'step_size' belongs to the step schedule, not to {type.Name}");
                ok = false;
            }
            else ok &= r.WholeNumber(s.Value, "step_size", 1, 1_000_000, out stepSize);
        }
        else if (type.Name == "step")
        {
            e.Missing("step_size", "a step schedule needs 'step_size:', the epochs between two reductions");
            ok = false;
        }
        PlateauDecl? settings = null;
        if (plateau) settings = Plateau(r, e, ref ok);
        else
        {
            foreach (var key in PlateauKeys)
                if (e.TryGet(key, out var k))
                {
                    r.Error(Codes.UnknownKey, k.Key, $"'{key}' belongs to the plateau schedule, not to {type.Name}");
                    ok = false;
                }
        }
        return ok ? new ScheduleDecl(type, gamma, stepSize, e.Span) { Plateau = settings } : null;
    }

    /// <summary>The plateau schedule's settings with PyTorch's defaults: factor 0.1, patience 10, threshold 1e-4, cooldown 0, min_lr 0.</summary>
    private static PlateauDecl Plateau(SpecReader r, Fields e, ref bool ok)
    {
        double factor = 0.1, threshold = 1e-4, minLr = 0;
        int patience = 10, cooldown = 0;
        if (e.TryGet("factor", out var f))
        {
            if (r.Number(f.Value, "'factor'") is { } fv && fv.Value > 0 && fv.Value < 1) factor = fv.Value;
            else
            {
                r.Error(Codes.InvalidValue, f.Value, "'factor' is what the learning rate is multiplied by on a plateau, > 0 and < 1");
                ok = false;
            }
        }
        if (e.TryGet("patience", out var p)) ok &= r.WholeNumber(p.Value, "patience", 0, 1_000_000, out patience);
        if (e.TryGet("cooldown", out var c)) ok &= r.WholeNumber(c.Value, "cooldown", 0, 1_000_000, out cooldown);
        if (e.TryGet("threshold", out var th))
        {
            if (r.Number(th.Value, "'threshold'") is { } tv && tv.Value >= 0 && tv.Value < 1) threshold = tv.Value;
            else
            {
                r.Error(Codes.InvalidValue, th.Value, "'threshold' is the relative improvement that counts, >= 0 and < 1 (an epoch improves when its loss is below best x (1 - threshold))");
                ok = false;
            }
        }
        if (e.TryGet("min_lr", out var m))
        {
            if (r.Number(m.Value, "'min_lr'") is { } mv && mv.Value >= 0 && double.IsFinite(mv.Value)) minLr = mv.Value;
            else
            {
                r.Error(Codes.InvalidValue, m.Value, "'min_lr' is the lowest learning rate a plateau reduces to, a finite number >= 0");
                ok = false;
            }
        }
        return new PlateauDecl(factor, patience, threshold, cooldown, minLr);
    }
}
