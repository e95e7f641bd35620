namespace NetSpec.Onnx;

/// <summary>
/// An ONNX model that cannot become a NetSpec spec, with a message naming the op and node. The
/// message is one line: a control character quoted from the model (a newline in a damaged
/// tensor name) is written as \uXXXX.
/// </summary>
public sealed class OnnxImportException(string message) : Exception(OneLine(message))
{
    private static string OneLine(string message) =>
        message.Any(char.IsControl) ? string.Concat(message.Select(c => char.IsControl(c) ? $"\\u{(int)c:X4}" : c.ToString())) : message;
}
