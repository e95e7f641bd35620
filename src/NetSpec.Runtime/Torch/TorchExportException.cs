namespace NetSpec.Runtime.Torch;

/// <summary>A network that cannot be written as PyTorch (an op without a faithful torch form, a name torch reserves), with a message for people.</summary>
public sealed class TorchExportException(string message) : Exception(message);
