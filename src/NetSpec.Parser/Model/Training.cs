using NetSpec.Parser.Diagnostics;

namespace NetSpec.Parser.Model;

/// <summary>A path written in the spec, as written, with where it was written.</summary>
public sealed record PathRef(string Path, SourceSpan Span);

/// <summary>How the features are rescaled: by a constant factor, or standardized per column.</summary>
public enum FeatureScaling
{
    None,
    Scale,
    Standardize,
}

/// <summary>Fractions of the file set aside for validation and test, drawn with a seed.</summary>
public sealed record SplitDecl(double Validation, double Test, ulong Seed, SourceSpan Span);

/// <summary>
/// A generated dataset: features drawn from N(0, 1), each sample's class the argmax of its
/// features times a fixed random linear teacher (features x classes, also N(0, 1)), all drawn
/// from one seed: the teacher first, then the training, validation and test samples.
/// </summary>
public sealed record SyntheticDecl(int Samples, int ValidationSamples, int TestSamples, int Features, int Classes, ulong Seed, SourceSpan Span);

/// <summary>
/// The <c>dataset:</c> section: CSV file(s) (or a synthetic source), which columns are features
/// and which the label, how features are scaled, how the data is split, and which graph values
/// the samples feed. <see cref="File"/> and <see cref="Label"/> are null for a synthetic source.
/// </summary>
public sealed record DatasetDecl(
    PathRef? File,
    PathRef? ValidationFile,
    PathRef? TestFile,
    char Separator,
    bool Header,
    IReadOnlyList<NameRef>? Features,
    NameRef? Label,
    IReadOnlyList<NameRef>? Classes,
    FeatureScaling Scaling,
    double ScaleFactor,
    SplitDecl? Split,
    NameRef Inputs,
    NameRef Targets,
    SourceSpan Span)
{
    /// <summary>The generated source, instead of files.</summary>
    public SyntheticDecl? Synthetic { get; init; }
}

/// <summary>Early stopping on the validation loss.</summary>
public sealed record EarlyStoppingDecl(int Patience, double MinDelta, SourceSpan Span)
{
    /// <summary>When training stops early, put back the parameters of the best validation epoch (Keras' restore_best_weights; NetSpec's default is true).</summary>
    public bool RestoreBest { get; init; } = true;
}

/// <summary>Checkpoints every <c>Every</c> epochs to <c>Path</c>.</summary>
public sealed record CheckpointDecl(int Every, PathRef Path, SourceSpan Span);

/// <summary>Which optimizer steps are traced value by value: the listed ones and every <c>Every</c>-th (0: none).</summary>
public sealed record TrainingTraceDecl(IReadOnlyList<int> Steps, int Every, SourceSpan Span);

/// <summary>Files a training run writes: the trained parameters and the learning-curve picture.</summary>
public sealed record TrainingOutputsDecl(PathRef? Parameters, PathRef? LearningCurve, SourceSpan Span)
{
    /// <summary>A parameters file rewritten whenever the validation loss reaches a new best (Keras' save_best_only).</summary>
    public PathRef? BestParameters { get; init; }
}

/// <summary>The <c>training:</c> section: epochs over the dataset in mini-batches.</summary>
public sealed record TrainingDecl(
    int Epochs,
    int BatchSize,
    bool Shuffle,
    ulong Seed,
    NameRef? AccuracyOf,
    EarlyStoppingDecl? EarlyStopping,
    CheckpointDecl? Checkpoint,
    TrainingTraceDecl Trace,
    TrainingOutputsDecl? Outputs,
    SourceSpan Span)
{
    /// <summary>Stop when the smoothed training loss exceeds this multiple of its best (0: never); a NaN or infinite loss always stops.</summary>
    public double DivergenceFactor { get; init; } = 10;
}

/// <summary>A learning-rate schedule over epochs.</summary>
/// <param name="Type">constant, step or exponential.</param>
/// <param name="Gamma">The factor (step, exponential).</param>
/// <param name="StepSize">Epochs per factor (step).</param>
/// <param name="Span">Where the schedule is written.</param>
public sealed record ScheduleDecl(NameRef Type, double Gamma, int StepSize, SourceSpan Span)
{
    /// <summary>The settings of a plateau schedule; null for the others.</summary>
    public PlateauDecl? Plateau { get; init; }
}

/// <summary>
/// Reduce the learning rate when the watched loss stops improving (PyTorch's ReduceLROnPlateau,
/// mode min, threshold_mode rel): an epoch improves when its loss is below best x (1 - threshold);
/// after more than <c>Patience</c> epochs without improvement the rate is multiplied by
/// <c>Factor</c> (never below <c>MinLr</c>), then <c>Cooldown</c> epochs are not counted.
/// </summary>
public sealed record PlateauDecl(double Factor, int Patience, double Threshold, int Cooldown, double MinLr);

/// <summary>Optimizer settings beyond the learning rate: momentum, Adam's moments, the schedule.</summary>
public sealed record OptimizerSettings(
    double Momentum,
    bool Nesterov,
    double Beta1,
    double Beta2,
    double Epsilon,
    ScheduleDecl? Schedule);

/// <summary>A check of a final training metric: <c>test_accuracy: {min: 0.97}</c>.</summary>
public sealed record MetricExpectation(NameRef Metric, double? Min, double? Max, SourceSpan Span);
