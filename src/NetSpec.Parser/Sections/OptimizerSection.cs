using NetSpec.Parser.Diagnostics;
using NetSpec.Parser.Model;
using NetSpec.Parser.Reading;
using YamlDotNet.RepresentationModel;

namespace NetSpec.Parser.Sections;

/// <summary>
/// <c>optimizer:</c>, the update rule: its type, the learning rate, the steps, the settings of
/// SGD with momentum (momentum, nesterov) and Adam (beta1, beta2, epsilon), and the schedule.
/// </summary>
internal static class OptimizerSection
{
    public static readonly string[] Types = ["sgd", "adam"];

    public static readonly string[] Keys = ["type", "learning_rate", "steps", "momentum", "nesterov", "beta1", "beta2", "epsilon", "schedule"];

    public static OptimizerDecl? Read(SpecReader r, YamlNode node)
    {
        if (r.Section(node, "'optimizer'", Keys) is not { } e) return null;
        NameRef? type = null;
        if (e.Require("type", $"'optimizer' needs 'type:' ({string.Join(", ", Types)})", out var t))
            type = r.Choice(t.Value, "type", "optimizer", Types);
        NumberValue? lr = null;
        if (e.Require("learning_rate", "'optimizer' needs 'learning_rate:'", out var l) &&
            (lr = r.Number(l.Value, "the learning rate")) is { } lrv && !(lrv.Value >= 0 && double.IsFinite(lrv.Value)))
        {
            r.Error(Codes.NegativeRate, lrv.Span, $"the learning rate must be a finite number >= 0, not {lrv}");
            lr = null;
        }
        NumberValue steps = new(1, null, e.Span);
        bool stepsOk = true; // unknown steps are not 1: an optimizer without them is refused
        if (e.TryGet("steps", out var s))
        {
            if (r.Number(s.Value, "steps") is not { } sv) stepsOk = false;
            else if (sv.Value >= 1 && sv.Value <= 1_000_000_000 && Math.Floor(sv.Value) == sv.Value) steps = sv;
            else
            {
                r.Error(Codes.BadSteps, sv.Span, $"steps must be a whole number >= 1, not {sv}");
                stepsOk = false;
            }
        }
        var settings = Settings(r, e, type?.Name);
        return type is null || lr is null || settings is null || !stepsOk ? null
            : new OptimizerDecl(type, lr, steps, e.Span) { Settings = settings, StepsWritten = e.Contains("steps") };
    }

    /// <summary>Momentum and Nesterov (sgd), beta1, beta2 and epsilon (adam), and the schedule. Null on error.</summary>
    private static OptimizerSettings? Settings(SpecReader r, Fields e, string? type)
    {
        bool ok = true;
        double Setting(string key, double dflt, string range, Func<double, bool> valid)
        {
            if (!e.TryGet(key, out var v)) return dflt;
            if (r.Number(v.Value, $"'{key}'") is not { } n) { ok = false; return dflt; }
            if (valid(n.Value)) return n.Value;
            r.Error(Codes.InvalidValue, n.Span, $"'{key}' must be {range}, not {n}");
            ok = false;
            return dflt;
        }
        void OnlyFor(string key, string optimizer)
        {
            if (type is null || type == optimizer || !e.TryGet(key, out var v)) return;
            r.Error(Codes.UnknownKey, v.Key, $"'{key}' is a setting of the {optimizer} optimizer, not of {type}");
            ok = false;
        }
        double momentum = Setting("momentum", 0, ">= 0 and < 1", x => x >= 0 && x < 1);
        double beta1 = Setting("beta1", 0.9, ">= 0 and < 1", x => x >= 0 && x < 1);
        double beta2 = Setting("beta2", 0.999, ">= 0 and < 1", x => x >= 0 && x < 1);
        double epsilon = Setting("epsilon", 1e-8, "a finite number > 0", x => x > 0 && double.IsFinite(x));
        OnlyFor("momentum", "sgd");
        OnlyFor("nesterov", "sgd");
        OnlyFor("beta1", "adam");
        OnlyFor("beta2", "adam");
        OnlyFor("epsilon", "adam");
        bool nesterov = false;
        if (e.TryGet("nesterov", out var ne))
        {
            ok &= r.Bool(ne.Value, "nesterov", out nesterov);
            if (nesterov && momentum == 0)
            {
                r.Error(Codes.InvalidValue, ne.Value, "Nesterov momentum needs 'momentum:' > 0");
                ok = false;
            }
        }
        ScheduleDecl? schedule = null;
        if (e.TryGet("schedule", out var sc)) ok &= (schedule = ScheduleSection.Read(r, sc.Value)) is not null;
        return ok ? new OptimizerSettings(momentum, nesterov, beta1, beta2, epsilon, schedule) : null;
    }
}
