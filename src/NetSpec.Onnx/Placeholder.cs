namespace NetSpec.Onnx;
internal static class Placeholder { }
