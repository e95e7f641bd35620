using NetSpec.Parser.Model;

namespace NetSpec.Runtime.Graph;

/// <summary>
/// How a data set's raw rows become the network's inputs, fixed at training time: the columns of
/// the data file in order (its header, or c1..cN without one), the feature columns the network
/// reads in input order, the label column and the class names in class-index order, and the
/// scaling with its statistics. Training computes it from the training split
/// (<see cref="Fit"/>); the trained-parameters file keeps it, so predicting and evaluating
/// later scale raw rows with the very numbers training used (<see cref="Apply"/>).
/// </summary>
/// <param name="Columns">Every column of the data file, in file order.</param>
/// <param name="Features">The feature columns, in the order of the network's inputs.</param>
/// <param name="Label">The label column; null for a synthetic data set (no file).</param>
/// <param name="Classes">The class names; class i is target column i.</param>
/// <param name="Scaling">What <see cref="Apply"/> does.</param>
/// <param name="Factor">The factor of <see cref="FeatureScaling.Scale"/> (1 otherwise).</param>
/// <param name="Mean">Each feature's mean over the training split, for <see cref="FeatureScaling.Standardize"/>.</param>
/// <param name="Std">Each feature's population standard deviation over the training split (1 where it is 0), for <see cref="FeatureScaling.Standardize"/>.</param>
public sealed record Preprocessing(
    IReadOnlyList<string> Columns,
    IReadOnlyList<string> Features,
    string? Label,
    IReadOnlyList<string> Classes,
    FeatureScaling Scaling,
    double Factor,
    IReadOnlyList<double>? Mean,
    IReadOnlyList<double>? Std)
{
    /// <summary>
    /// The scaling of <paramref name="scaling"/> with statistics of <paramref name="train"/>
    /// (rows x features, row-major, unscaled): for standardization the mean and the population
    /// standard deviation of each column (a constant column keeps 1, so it is only centred).
    /// </summary>
    public static Preprocessing Fit(IReadOnlyList<string> columns, IReadOnlyList<string> features, string? label, IReadOnlyList<string> classes,
        FeatureScaling scaling, double factor, ReadOnlySpan<double> train, int rows)
    {
        int f = features.Count;
        if (scaling != FeatureScaling.Standardize)
            return new Preprocessing(columns, features, label, classes, scaling, scaling == FeatureScaling.Scale ? factor : 1, null, null);
        var mean = new double[f];
        var std = new double[f];
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < f; j++) mean[j] += train[r * f + j];
        for (int j = 0; j < f; j++) mean[j] /= rows;
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < f; j++)
            {
                double dv = train[r * f + j] - mean[j];
                std[j] += dv * dv;
            }
        for (int j = 0; j < f; j++)
        {
            std[j] = Math.Sqrt(std[j] / rows);
            if (std[j] == 0) std[j] = 1;
        }
        return new Preprocessing(columns, features, label, classes, scaling, 1, mean, std);
    }

    /// <summary>Scales raw feature rows (rows x features, row-major) in place: x · factor, or (x - mean_j) / std_j.</summary>
    public void Apply(Span<double> features)
    {
        int f = Features.Count;
        switch (Scaling)
        {
            case FeatureScaling.Scale:
                for (int i = 0; i < features.Length; i++) features[i] *= Factor;
                break;
            case FeatureScaling.Standardize:
                for (int r = 0; r < features.Length / f; r++)
                    for (int j = 0; j < f; j++)
                        features[r * f + j] = (features[r * f + j] - Mean![j]) / Std![j];
                break;
        }
    }
}
