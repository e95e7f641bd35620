namespace NetSpec.Runtime.Ops;

/// <summary>ONNX node chains that several ops' own writers share (<see cref="Op.WriteOnnx"/>).</summary>
public static class OnnxChains
{
    /// <summary>
    /// <paramref name="scale"/> times the mean over rows of each row's sum: ReduceSum over the last
    /// axis (keepdims 0), ReduceMean over what is left, Mul by the scale; the output is named
    /// <paramref name="output"/>. The row count is not written into the model, so the chain holds
    /// for any batch size (a loss of N samples, (scale/N) Σ, served at any N). A scalar or vector
    /// input is one row: ReduceSum, Mul.
    /// </summary>
    public static void ScaledMeanOfRowSums(IOnnxWriter writer, string name, string input, Shape shape, double scale, string output)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(shape);
        string summed;
        if (shape.Rank >= 2)
        {
            writer.Node("ReduceSum", $"{name}/row_sum", [input, writer.Int64s($"{name}/last_axis", -1)], $"{name}/row_sum", ("keepdims", 0L));
            writer.Node("ReduceMean", $"{name}/mean", [$"{name}/row_sum"], $"{name}/mean", ("keepdims", 0L));
            summed = $"{name}/mean";
        }
        else
        {
            writer.Node("ReduceSum", $"{name}/sum", [input], $"{name}/sum", ("keepdims", 0L));
            summed = $"{name}/sum";
        }
        writer.Node("Mul", $"{name}/scaled", [summed, writer.Scalar($"{name}/scale", scale)], output);
    }
}
