using NetSpec.Parser.Model;

namespace NetSpec.Runtime.Training;

/// <summary>
/// The metrics of one epoch. Train loss and accuracy are averaged over the epoch's batches as
/// they were computed (the parameters change during the epoch); validation metrics use the
/// parameters at the end of the epoch. Loss is the objective J averaged over the samples:
/// sum over batches of (rows x J) / samples, i.e. the mean data loss plus the regularization.
/// </summary>
public sealed record EpochMetrics(
    int Epoch,
    double TrainLoss,
    double? TrainAccuracy,
    double? ValidationLoss,
    double? ValidationAccuracy,
    double LearningRate,
    double Seconds);

/// <summary>What a training run produced: every epoch's metrics and the final test metrics.</summary>
public sealed record TrainingReport(
    IReadOnlyList<EpochMetrics> History,
    double? TestLoss,
    double? TestAccuracy,
    bool StoppedEarly,
    int ResumedAfterEpoch)
{
    /// <summary>Set when the run stopped because the training loss diverged.</summary>
    public Divergence? Diverged { get; init; }

    /// <summary>The epoch of the best validation loss (null without a validation split).</summary>
    public int? BestEpoch { get; init; }

    /// <summary>Whether early stopping put back the parameters of <see cref="BestEpoch"/>.</summary>
    public bool RestoredBest { get; init; }

    /// <summary>A final metric by its <c>expect: metrics</c> name, or null when it was not computed.</summary>
    public double? Metric(string name)
    {
        var last = History.Count > 0 ? History[^1] : null;
        return name switch
        {
            "train_loss" => last?.TrainLoss,
            "train_accuracy" => last?.TrainAccuracy,
            "validation_loss" => last?.ValidationLoss,
            "validation_accuracy" => last?.ValidationAccuracy,
            "test_loss" => TestLoss,
            "test_accuracy" => TestAccuracy,
            _ => null,
        };
    }
}

/// <summary>A run stopped because its smoothed training loss rose above <c>Factor</c> times its best (see <see cref="DivergenceWatch"/>).</summary>
public sealed record Divergence(int Epoch, int Batch, int Batches, int Step, double Loss, double SmoothedLoss, double Best, double Factor)
{
    /// <summary>What is printed: where, the values, and what to do.</summary>
    public string Message =>
        $"training diverged in epoch {Epoch}, batch {Batch} of {Batches} (step {Step}): the smoothed training loss {Format.Number(SmoothedLoss)} " +
        $"(this batch {Format.Number(Loss)}) is above {Format.Number(Factor)} x its best {Format.Number(Best)}; " +
        "lower the learning rate, or write 'divergence: false' in 'training' to train on";
}

/// <summary>Where a run is, after a batch: for progress displays.</summary>
/// <param name="Epoch">The 1-based epoch.</param>
/// <param name="Epochs">The spec's epochs.</param>
/// <param name="Batch">Batches done in this epoch.</param>
/// <param name="Batches">Batches per epoch.</param>
/// <param name="RunningLoss">The epoch's training loss so far (mean over its samples).</param>
/// <param name="SamplesPerSecond">Training samples per second in this epoch so far.</param>
public sealed record BatchProgress(int Epoch, int Epochs, int Batch, int Batches, double RunningLoss, double SamplesPerSecond);

/// <summary>The result of one <c>expect: metrics</c> check.</summary>
public sealed record MetricResult(MetricExpectation Expectation, double? Actual, bool Passed);

/// <summary>How a training run is carried out (not what it computes).</summary>
public sealed record TrainingRunOptions
{
    /// <summary>Write the spec's output files (parameters, checkpoints). Off by default: tests and <c>netspec test</c> only compute.</summary>
    public bool WriteFiles { get; init; }

    /// <summary>Resolve output paths against this folder instead of the spec's.</summary>
    public string? OutputDirectory { get; init; }

    /// <summary>Most threads a matrix product may use; results are bit-identical whatever the count.</summary>
    public int Threads { get; init; } = 1;

    /// <summary>Continue from the checkpoint file when it exists.</summary>
    public bool Resume { get; init; }

    /// <summary>Resume from a checkpoint of another spec or other data (its parameters and optimizer state as a starting point).</summary>
    public bool WarmStart { get; init; }

    /// <summary>Called after every epoch.</summary>
    public Action<EpochMetrics>? OnEpoch { get; init; }

    /// <summary>Called after every batch.</summary>
    public Action<BatchProgress>? OnBatch { get; init; }

    /// <summary>Called with notes for people (resumed from a checkpoint, stopped early).</summary>
    public Action<string>? OnNote { get; init; }
}

/// <summary>A training file (checkpoint, parameters) could not be read or written.</summary>
public sealed class TrainingFileException(string message, Exception? inner = null) : Exception(message, inner);
