namespace NetSpec.Runtime.Graph;

/// <summary>The samples of one split: features (rows x features) and one-hot targets (rows x classes), row-major.</summary>
public sealed record DataSplit(string Name, int Rows, double[] Features, double[] Targets);

/// <summary>
/// A dataset read from its CSV files, split and scaled: the training split always, validation
/// and test when the spec asks for them. Scaling statistics come from the training split only.
/// </summary>
public sealed record LoadedDataset(
    IReadOnlyList<string> FeatureNames,
    IReadOnlyList<string> Classes,
    DataSplit Train,
    DataSplit? Validation,
    DataSplit? Test)
{
    /// <summary>How raw rows become inputs (columns, scaling statistics, class names), for the trained-parameters file.</summary>
    public Preprocessing? Preprocessing { get; init; }

    public int FeatureCount => FeatureNames.Count;
    public int ClassCount => Classes.Count;
}
