using Google.Protobuf;
using NetSpec.Parser;
using NetSpec.Parser.Model;
using NetSpec.Parser.Files;
using Onnx;

namespace NetSpec.Onnx;

/// <summary>An imported model: the spec model and the comments saying where each value came from.</summary>
public sealed record ImportedSpec(SpecDocument Document, SpecComments Comments)
{
    /// <summary>The spec's YAML text.</summary>
    public string ToYaml() => SpecFormatter.Format(Document, Comments);
}

/// <summary>
/// Turns an ONNX model made of ops NetSpec knows into a spec: initializers and Constant nodes
/// become parameters, graph inputs data (from an ONNX test data set when given, zeros otherwise),
/// nodes NetSpec nodes, and the test data set's outputs expectations. Each ONNX node is mapped
/// onto an op by the op's own ONNX forms (<see cref="NetSpec.Runtime.Ops.Op.OnnxForms"/>, the
/// table the exporter writes from; see <see cref="OnnxNodeMapper"/>). The result is the spec
/// model (<see cref="SpecDocument"/>), written as YAML by <see cref="SpecFormatter"/>. Nothing is
/// produced unless the whole model converts; every refusal is an <see cref="OnnxImportException"/>
/// naming the node or tensor and why.
/// </summary>
public static class OnnxImporter
{
    /// <summary>The ONNX ops the importer understands: those in the ops' forms, and Constant.</summary>
    public static IReadOnlyList<string> SupportedOps => OnnxNodeMapper.SupportedOps;

    /// <summary>
    /// NetSpec's tolerance for an expected output <paramref name="expected"/> that is at least as
    /// strict as ONNX's test rule |a - e| &lt;= atol + rtol |e| (atol 1e-7, rtol 1e-3) for every
    /// element: the largest tol with tol · max(1, |e|) &lt;= atol + rtol |e| for all of them.
    /// </summary>
    public static double ToleranceFor(IEnumerable<double> expected, double rtol = 1e-3, double atol = 1e-7) =>
        expected.Select(e => (atol + rtol * Math.Abs(e)) / Math.Max(1, Math.Abs(e))).DefaultIfEmpty(atol).Min();

    /// <summary>
    /// The rule a float64 test output is held to: rtol 1e-9, atol 1e-10 in ONNX's form (float64
    /// carries 16 digits, so ONNX's float32-sized 1e-3 would pass a float64 model computed in
    /// float32); float32 outputs keep ONNX's rtol 1e-3, atol 1e-7.
    /// </summary>
    public const double Float64Rtol = 1e-9, Float64Atol = 1e-10;

    /// <summary>Reads a model file (and optionally a test data folder) and returns spec text.</summary>
    public static string ImportFile(string modelPath, string? testDataDir = null) => ReadFile(modelPath, testDataDir).ToYaml();

    /// <summary>Reads a model file (and optionally a test data folder) and returns the spec model.</summary>
    public static ImportedSpec ReadFile(string modelPath, string? testDataDir = null)
    {
        ModelProto model;
        try
        {
            model = ModelProto.Parser.ParseFrom(SafeFile.ReadAllBytes(modelPath, SafeFile.MaxDataBytes));
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new OnnxImportException($"'{modelPath}' is not an ONNX model: {e.Message}");
        }
        List<TensorProto>? inputs = null, outputs = null;
        if (testDataDir is not null)
        {
            if (!Directory.Exists(testDataDir)) throw new OnnxImportException($"the test data folder '{testDataDir}' does not exist");
            inputs = ReadNumbered(testDataDir, "input");
            outputs = ReadNumbered(testDataDir, "output");
        }
        return ImportModel(model, Path.GetFileNameWithoutExtension(modelPath), inputs, outputs);
    }

    private static List<TensorProto> ReadNumbered(string dir, string prefix)
    {
        var list = new List<TensorProto>();
        for (int j = 0; File.Exists(Path.Combine(dir, $"{prefix}_{j}.pb")); j++)
        {
            try
            {
                list.Add(TensorProto.Parser.ParseFrom(SafeFile.ReadAllBytes(Path.Combine(dir, $"{prefix}_{j}.pb"), SafeFile.MaxDataBytes)));
            }
            catch (InvalidProtocolBufferException e)
            {
                throw new OnnxImportException($"{Path.Combine(dir, $"{prefix}_{j}.pb")} is not a serialized ONNX tensor: {e.Message}");
            }
        }
        return list;
    }

    /// <summary>Spec text for <paramref name="model"/>; test inputs and outputs, when given, are in graph order.</summary>
    public static string Import(ModelProto model, string name, IReadOnlyList<TensorProto>? testInputs = null, IReadOnlyList<TensorProto>? testOutputs = null) =>
        ImportModel(model, name, testInputs, testOutputs).ToYaml();

    /// <summary>The spec model for <paramref name="model"/>; test inputs and outputs, when given, are in graph order.</summary>
    public static ImportedSpec ImportModel(ModelProto model, string name, IReadOnlyList<TensorProto>? testInputs = null, IReadOnlyList<TensorProto>? testOutputs = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        return new OnnxConversion(model, name, testInputs, testOutputs).Run();
    }
}
