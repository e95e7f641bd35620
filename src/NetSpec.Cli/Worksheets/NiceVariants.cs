using NetSpec.Parser;
using NetSpec.Parser.Diagnostics;
using NetSpec.Parser.Model;
using NetSpec.Runtime;
using NetSpec.Runtime.Execution;
using NetSpec.Runtime.Graph;
using NetSpec.Runtime.Trace;

namespace NetSpec.Cli.Worksheets;

/// <summary>
/// Draws exercise variants of a spec with "nice" numbers, the way teachers pick them: every
/// datum and parameter becomes a small integer drawn from the range of the spec's own values
/// (widened to at least three values; non-negative values stay non-negative), the
/// hyperparameters stay as written, and a draw is kept only when every value the run traces
/// (forward values, gradients and updated parameters, run in float64) is finite, at most
/// <see cref="Growth"/> times the largest magnitude of the spec's own run (at least 100), and
/// has at most <see cref="Decimals"/> decimals (an updated parameter: as many more as the
/// learning rate has, since W - (0.001)(20.1) has them). Rejection sampling with NetSpec's own
/// seeded generator, at most <see cref="MaxTries"/> draws: a seed gives the same variant on
/// every machine.
/// </summary>
internal static class NiceVariants
{
    public const int Decimals = 3;
    public const double Growth = 10;
    public const int MaxTries = 20_000;

    /// <summary>A drawn variant: its spec text and its loaded graph, and how many draws it took.</summary>
    public sealed record Variant(string Yaml, NetworkGraph Graph, int Tries);

    /// <summary>Draws the variant of <paramref name="graph"/>'s spec for <paramref name="seed"/>, or says why there is none.</summary>
    public static Variant? Draw(NetworkGraph graph, ulong seed, string path, out string? why)
    {
        var spec = graph.Spec;
        why = null;
        if (spec.Dataset is not null || spec.Training is not null || spec.ParametersFile is not null)
        {
            why = "--nice draws variants of specs whose data and parameters are written in the spec (no dataset, training or parameters file)";
            return null;
        }
        var original = Trace(graph);
        if (original is null)
        {
            why = "the spec itself does not run to the end";
            return null;
        }
        double bound = Math.Max(100, Growth * original.Where(e => e.Phase != TracePhase.Epoch).SelectMany(e => e.Values.ToArray()).Where(double.IsFinite).Select(Math.Abs).DefaultIfEmpty(0).Max());
        int updateDecimals = Decimals + (spec.Optimizer is { } o ? DecimalsOf(o.LearningRate.Value) : 0);
        var ranges = new Dictionary<string, (int Lo, int Hi)>(StringComparer.Ordinal);
        foreach (var v in graph.Values.Where(v => v.Kind is ValueKind.Data or ValueKind.Parameter))
        {
            var values = ExplainedRun.Find(original, 1, Runtime.Explain.ExplainKind.Forward, v.Name)?.Values.ToArray() ?? v.Literal ?? [0];
            ranges[v.Name] = Range(values);
        }
        var rng = new Rng(seed);
        for (int tries = 1; tries <= MaxTries; tries++)
        {
            var candidate = Candidate(spec, graph, ranges, rng);
            var bag = new DiagnosticBag();
            var g = GraphBuilder.Build(candidate with { DType = DType.Float64 }, bag);
            if (g is null || bag.HasErrors) continue;
            var trace = Trace(g);
            if (trace is null || !trace.Where(e => e.Phase != TracePhase.Epoch).All(e => Nice(e, bound, updateDecimals))) continue;
            string yaml = SpecFormatter.Format(candidate, new SpecComments
            {
                Header =
                [
                    $"A nice-number variant of {Path.GetFileName(spec.Path)} (netspec worksheet --nice --seed {seed}):",
                    "its data and parameters are small integers drawn so that every value of the run is",
                    "an integer or a short decimal. Run it: netspec run THIS-FILE --explain",
                ],
            });
            var loaded = NetSpecEngine.LoadText(path, yaml);
            if (!loaded.Ok)
            {
                why = "the variant's spec did not load back: " + string.Join("; ", loaded.Diagnostics.Items.Select(d => d.Message));
                return null;
            }
            return new Variant(yaml, loaded.Graph!, tries);
        }
        why = $"no draw of small integers in {MaxTries} gave only integers and short decimals (at most {Decimals} decimals) in every value; an op such as softmax, sigmoid or a mean over an awkward count rarely gives them";
        return null;
    }

    /// <summary>The integers a value's entries are drawn from: the spec's own range, at least three wide.</summary>
    private static (int Lo, int Hi) Range(double[] values)
    {
        var finite = values.Where(double.IsFinite).DefaultIfEmpty(0).ToArray();
        int lo = (int)Math.Floor(Math.Max(-1000, finite.Min())), hi = (int)Math.Ceiling(Math.Min(1000, finite.Max()));
        bool nonNegative = lo >= 0;
        while (hi - lo < 2)
        {
            if (!nonNegative || lo > 0) lo--;
            if (hi - lo < 2) hi++;
        }
        return (lo, hi);
    }

    private static SpecDocument Candidate(SpecDocument spec, NetworkGraph graph, Dictionary<string, (int Lo, int Hi)> ranges, Rng rng)
    {
        double[] Draw(string name, int count)
        {
            var (lo, hi) = ranges[name];
            return [.. Enumerable.Range(0, count).Select(_ => (double)(lo + rng.NextInt(hi - lo + 1)))];
        }
        var data = spec.Data.Select(d => d with { Value = d.Value with { Values = Draw(d.Name, d.Value.Values.Length) } }).ToList();
        var parameters = spec.Parameters.Select(p =>
        {
            if (p.Value is { } lit) return p with { Value = lit with { Values = Draw(p.Name, lit.Values.Length) } };
            var shape = graph.Find(p.Name)!.Shape;
            return p with { Value = new TensorLiteral(shape.ToArray(), Draw(p.Name, shape.Length), p.NameSpan), Init = null };
        }).ToList();
        string note = $"A nice-number variant of {spec.Name}.";
        return spec with
        {
            Data = data,
            Parameters = parameters,
            Expectations = [],
            Description = spec.Description is { } d ? $"{d.Trim()} ({note})" : note,
        };
    }

    /// <summary>The run's trace in float64, or null when it faults.</summary>
    private static List<TraceEvent>? Trace(NetworkGraph graph)
    {
        var collect = new CollectingTraceSink();
        var result = NetSpecEngine.Run(graph, new InterpreterOptions { StopOnNonFinite = true }, collect);
        return result.Fault is null ? collect.Events : null;
    }

    private static bool Nice(TraceEvent e, double bound, int updateDecimals)
    {
        int allowed = e.Phase == TracePhase.Update ? updateDecimals : Decimals;
        foreach (double v in e.Values.ToArray())
            if (!double.IsFinite(v) || Math.Abs(v) > bound || DecimalsOf(v) > allowed) return false;
        return true;
    }

    /// <summary>The decimals <paramref name="v"/> needs (0 for an integer), 99 beyond 12.</summary>
    public static int DecimalsOf(double v)
    {
        double scaled = v;
        for (int d = 0; d <= 12; d++, scaled *= 10)
            if (Math.Abs(scaled - Math.Round(scaled)) <= 1e-9 * Math.Max(1, Math.Abs(scaled))) return d;
        return 99;
    }
}
