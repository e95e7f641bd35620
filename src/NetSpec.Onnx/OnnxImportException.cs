namespace NetSpec.Onnx;

/// <summary>An ONNX model that cannot become a NetSpec spec, with a message naming the op and node.</summary>
public sealed class OnnxImportException(string message) : Exception(message);
