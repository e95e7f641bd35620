namespace NetSpec.Onnx;

/// <summary>A network that cannot be written as ONNX, with a message for people.</summary>
public sealed class OnnxExportException(string message) : Exception(message);
