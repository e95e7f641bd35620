using NetSpec.Runtime.Execution;
using NetSpec.Runtime.Training;

namespace NetSpec.Runtime;

/// <summary>
/// The outcome of running a spec through <see cref="NetSpecEngine"/>: every expectation's result,
/// a numeric fault if one stopped the run, and for a training spec its report and metric checks.
/// </summary>
public sealed record RunResult(IReadOnlyList<ExpectationResult> Expectations, NumericFault? Fault)
{
    /// <summary>A training run's epochs and test metrics; null for a spec without training.</summary>
    public TrainingReport? Training { get; init; }

    /// <summary>The results of <c>expect: metrics</c>.</summary>
    public IReadOnlyList<MetricResult> Metrics { get; init; } = [];

    public bool AllPassed => Fault is null && Training?.Diverged is null && Expectations.All(e => e.Passed) && Metrics.All(m => m.Passed);
}
