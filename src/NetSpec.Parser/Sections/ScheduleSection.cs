using NetSpec.Parser.Diagnostics;
using NetSpec.Parser.Model;
using NetSpec.Parser.Reading;
using YamlDotNet.RepresentationModel;

namespace NetSpec.Parser.Sections;

/// <summary><c>optimizer: schedule:</c>, how the learning rate changes over epochs.</summary>
internal static class ScheduleSection
{
    public static readonly string[] Keys = ["type", "gamma", "step_size"];

    public static readonly string[] Types = ["constant", "step", "exponential"];

    public static ScheduleDecl? Read(SpecReader r, YamlNode node)
    {
        if (r.Section(node, "'schedule'", Keys) is not { } e) return null;
        if (!e.Require("type", $"'schedule' needs 'type:' ({string.Join(", ", Types)})", out var t)) return null;
        if (r.Choice(t.Value, "type", "schedule", Types) is not { } type) return null;
        bool ok = true;
        double gamma = 1;
        int stepSize = 1;
        bool needsGamma = type.Name != "constant";
        if (e.TryGet("gamma", out var g))
        {
            if (!needsGamma)
            {
                r.Error(Codes.UnknownKey, g.Key, "a constant schedule has no 'gamma'");
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
        return ok ? new ScheduleDecl(type, gamma, stepSize, e.Span) : null;
    }
}
