using NetSpec.Runtime.Graph;

namespace NetSpec.Runtime.Training;

/// <summary>
/// The first mini-batch a training run computes: the first batch_size samples of the training
/// split in epoch 0's order (shuffled by <see cref="Trainer{T}.EpochPermutation"/> from the
/// training seed when the spec shuffles), as the values of the dataset's inputs and targets.
/// gradcheck checks a training spec at this batch, not at the placeholder the graph is built with.
/// </summary>
public static class FirstBatch
{
    /// <summary>The inputs' and targets' values by name; null for a spec without a dataset.</summary>
    public static IReadOnlyDictionary<string, double[]>? Of(NetworkGraph graph)
    {
        if (graph.Dataset is not { } data || graph.Spec.Dataset is not { } d || graph.Spec.Training is not { } t) return null;
        int n = data.Train.Rows, f = data.FeatureCount, c = data.ClassCount;
        int rows = graph.Find(d.Inputs.Name)!.Shape.Rows;
        var perm = new int[n];
        if (t.Shuffle) Trainer<double>.EpochPermutation(t.Seed, 0, perm);
        else for (int i = 0; i < n; i++) perm[i] = i;
        var x = new double[rows * f];
        var y = new double[rows * c];
        for (int r = 0; r < rows; r++)
        {
            Array.Copy(data.Train.Features, perm[r] * f, x, r * f, f);
            Array.Copy(data.Train.Targets, perm[r] * c, y, r * c, c);
        }
        return new Dictionary<string, double[]>(StringComparer.Ordinal) { [d.Inputs.Name] = x, [d.Targets.Name] = y };
    }
}
