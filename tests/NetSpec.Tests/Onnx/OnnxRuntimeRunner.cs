using Microsoft.ML.OnnxRuntime;

namespace NetSpec.Tests.Onnx;

/// <summary>Runs an ONNX model in ONNX Runtime on double inputs, in float32 or float64.</summary>
internal static class OnnxRuntimeRunner
{
    public static Dictionary<string, (long[] Shape, double[] Values)> Run(byte[] model, bool float32,
        IReadOnlyDictionary<string, (int[] Shape, double[] Values)> inputs, IReadOnlyList<string> outputs)
    {
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL, IntraOpNumThreads = 1 };
        using var session = new InferenceSession(model, options);
        var names = inputs.Keys.ToList();
        var values = names.Select(n =>
        {
            var (shape, v) = inputs[n];
            long[] dims = [.. shape.Select(d => (long)d)];
            return float32
                ? OrtValue.CreateTensorValueFromMemory(v.Select(x => (float)x).ToArray(), dims)
                : OrtValue.CreateTensorValueFromMemory(v.ToArray(), dims);
        }).ToList();
        try
        {
            using var runOptions = new RunOptions();
            using var results = session.Run(runOptions, names, values, [.. outputs]);
            var dict = new Dictionary<string, (long[], double[])>(StringComparer.Ordinal);
            int k = 0;
            foreach (var r in results)
            {
                var shape = r.GetTensorTypeAndShape().Shape;
                double[] data = float32
                    ? [.. r.GetTensorDataAsSpan<float>().ToArray().Select(x => (double)x)]
                    : r.GetTensorDataAsSpan<double>().ToArray();
                dict[outputs[k++]] = (shape, data);
            }
            return dict;
        }
        finally
        {
            foreach (var v in values) v.Dispose();
        }
    }
}
