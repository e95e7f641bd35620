namespace NetSpec.Onnx;

/// <summary>How <see cref="OnnxExporter"/> writes a network.</summary>
public sealed record OnnxExportOptions
{
    /// <summary>Element type of the model: float32, float64, or null for the spec's own dtype.</summary>
    public bool? Float32 { get; init; }

    /// <summary>Keep loss and regularization nodes (with their targets as inputs) instead of stopping at the prediction.</summary>
    public bool KeepLoss { get; init; }

    /// <summary>Run the spec's optimizer steps first and export the trained parameters.</summary>
    public bool Trained { get; init; }

    /// <summary>Parameter values to write instead of the spec's (a NetSpec parameters file read back, e.g. a training's trained values).</summary>
    public IReadOnlyDictionary<string, NetSpec.Runtime.Training.ParameterFile.Entry>? Parameters { get; init; }

    /// <summary>The ONNX opset the model declares.</summary>
    public int Opset { get; init; } = 17;
}
