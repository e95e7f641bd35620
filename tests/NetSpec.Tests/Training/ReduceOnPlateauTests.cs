using NetSpec.Parser.Model;
using NetSpec.Runtime.Training;

namespace NetSpec.Tests.Training;

/// <summary>
/// The plateau schedule against PyTorch's torch.optim.lr_scheduler.ReduceLROnPlateau: every
/// expected sequence below is the output of tools/plateau-reference.py (torch 1.13, the rate the
/// optimizer holds before each epoch, then scheduler.step(the epoch's loss)), not of NetSpec.
/// </summary>
[TestClass]
public sealed class ReduceOnPlateauTests
{
    private static double[] Rates(double lr, double factor, int patience, double threshold, int cooldown, double minLr, double[] losses)
    {
        var s = new ReduceOnPlateau(new PlateauDecl(factor, patience, threshold, cooldown, minLr), lr);
        var rates = new double[losses.Length];
        for (int i = 0; i < losses.Length; i++)
        {
            rates[i] = s.LearningRate;
            s.Step(losses[i]);
        }
        return rates;
    }

    [TestMethod]
    public void After_more_than_patience_epochs_without_improvement_the_rate_is_multiplied_by_the_factor()
    {
        double[] losses = [1.0, 0.9, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.7, 0.7, 0.7, 0.7];
        CollectionAssert.AreEqual(new[] { 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025, 0.025 },
            Rates(0.1, 0.5, 2, 1e-4, 0, 0, losses));
    }

    [TestMethod]
    public void A_fall_smaller_than_the_relative_threshold_is_not_an_improvement()
    {
        double[] losses = [1.0, 0.995, 0.991, 0.98, 0.9799, 0.97, 0.5, 0.499];
        CollectionAssert.AreEqual(new[] { 1.0, 1.0, 1.0, 0.1, 0.1, 0.1, 0.1, 0.1 }, Rates(1.0, 0.1, 1, 1e-2, 0, 0, losses));
    }

    [TestMethod]
    public void Cooldown_epochs_after_a_reduction_are_not_counted()
    {
        double[] losses = [2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 1.0, 1.0];
        CollectionAssert.AreEqual(new[] { 0.01, 0.01, 0.001, 0.001, 0.001, 0.0001, 0.0001, 0.0001, 1e-05, 1e-05 },
            Rates(0.01, 0.1, 0, 1e-4, 2, 0, losses));
    }

    [TestMethod]
    public void The_rate_never_falls_below_min_lr()
    {
        CollectionAssert.AreEqual(new[] { 0.001, 0.001, 0.0002, 0.0001, 0.0001, 0.0001 }, Rates(1e-3, 0.2, 0, 1e-4, 0, 1e-4, [1, 1, 1, 1, 1, 1]));
    }

    [TestMethod]
    public void With_pytorchs_defaults_a_flat_loss_reduces_the_rate_after_epochs_12_and_23()
    {
        var rates = Rates(0.1, 0.1, 10, 1e-4, 0, 0, [.. Enumerable.Repeat(1.0, 25)]);
        double[] expected = [.. Enumerable.Repeat(0.1, 12), .. Enumerable.Repeat(0.010000000000000002, 11), 0.0010000000000000002, 0.0010000000000000002];
        CollectionAssert.AreEqual(expected, rates);
    }
}
