using NetSpec.Parser.Model;

namespace NetSpec.Runtime.Training;

/// <summary>
/// The plateau schedule, PyTorch's <c>torch.optim.lr_scheduler.ReduceLROnPlateau</c> in mode
/// min with threshold_mode rel, stepped once per epoch with the watched loss L (the validation
/// loss when there is a validation split, else the training loss):
/// <code>
/// if L &lt; best (1 - threshold): best = L; bad = 0   else: bad += 1
/// if cooldown_left &gt; 0:          cooldown_left -= 1; bad = 0
/// if bad &gt; patience:              lr' = max(lr factor, min_lr); lr = lr' when lr - lr' &gt; 1e-8
///                                 cooldown_left = cooldown; bad = 0
/// </code>
/// best starts at +infinity. The new rate applies from the next epoch. The state is saved in
/// checkpoints, so a resumed run reduces at the same epochs.
/// </summary>
public sealed class ReduceOnPlateau(PlateauDecl settings, double learningRate)
{
    /// <summary>PyTorch's eps: a reduction smaller than this is skipped.</summary>
    public const double Epsilon = 1e-8;

    /// <summary>Epochs without improvement tolerated before a reduction.</summary>
    public int Patience => settings.Patience;

    /// <summary>The learning rate of the next epoch.</summary>
    public double LearningRate { get; private set; } = learningRate;

    /// <summary>The best watched loss so far (+infinity before the first epoch).</summary>
    public double Best { get; private set; } = double.PositiveInfinity;

    /// <summary>Epochs since the last improvement, not counting cooldown.</summary>
    public int BadEpochs { get; private set; }

    /// <summary>Epochs of cooldown left.</summary>
    public int CooldownLeft { get; private set; }

    /// <summary>Feeds one epoch's watched loss; true when the learning rate was reduced.</summary>
    public bool Step(double loss)
    {
        if (loss < Best * (1 - settings.Threshold))
        {
            Best = loss;
            BadEpochs = 0;
        }
        else BadEpochs++;
        if (CooldownLeft > 0)
        {
            CooldownLeft--;
            BadEpochs = 0;
        }
        if (BadEpochs <= settings.Patience) return false;
        CooldownLeft = settings.Cooldown;
        BadEpochs = 0;
        double reduced = Math.Max(LearningRate * settings.Factor, settings.MinLr);
        if (LearningRate - reduced <= Epsilon) return false;
        LearningRate = reduced;
        return true;
    }

    /// <summary>Puts back the state a checkpoint saved.</summary>
    public void Restore(double learningRate, double best, int badEpochs, int cooldownLeft)
    {
        (LearningRate, Best, BadEpochs, CooldownLeft) = (learningRate, best, badEpochs, cooldownLeft);
    }
}
