namespace NetSpec.Runtime.Training;

/// <summary>
/// Watches the training loss for divergence, batch by batch: the loss is smoothed as fastai's
/// learning-rate finder does (an exponential moving average with beta 0.98, debiased:
/// a ← 0.98 a + 0.02 L, s = a / (1 − 0.98^t) after t batches) and the run has diverged when
/// s exceeds <c>factor</c> times the lowest s so far (a positive best only). One noisy batch moves
/// s by 2%, so it takes a loss that keeps rising, not one bad batch, to stop a run.
/// </summary>
public sealed class DivergenceWatch(double factor)
{
    public const double Beta = 0.98;

    private double _average;

    /// <summary>Batches seen.</summary>
    public long Count { get; private set; }

    /// <summary>The smoothed loss after the last batch.</summary>
    public double Smoothed { get; private set; } = double.NaN;

    /// <summary>The lowest smoothed loss so far.</summary>
    public double Best { get; private set; } = double.PositiveInfinity;

    /// <summary>Adds one batch's loss; true when the run has diverged.</summary>
    public bool Add(double loss)
    {
        Count++;
        _average = Beta * _average + (1 - Beta) * loss;
        Smoothed = _average / (1 - Math.Pow(Beta, Count));
        if (Smoothed < Best) Best = Smoothed;
        return factor > 0 && Best > 0 && Smoothed > factor * Best;
    }

    /// <summary>The state a checkpoint saves: (average, count, best).</summary>
    public (double Average, long Count, double Best) State => (_average, Count, Best);

    /// <summary>Puts back a saved state.</summary>
    public void Restore(double average, long count, double best)
    {
        (_average, Count, Best) = (average, count, best);
        Smoothed = count > 0 ? average / (1 - Math.Pow(Beta, count)) : double.NaN;
    }
}
