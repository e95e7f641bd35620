namespace NetSpec.Runtime.Ops;

/// <summary>
/// One way an op is written in ONNX: the ONNX op type, the opsets it applies to, how NetSpec's
/// inputs and attributes map onto ONNX's, and the ONNX attributes that must have a fixed value
/// for the form to apply. The exporter writes an op's first form that is not
/// <see cref="ImportOnly"/>; the importer maps an ONNX node onto every op with a form whose type,
/// opset and fixed attributes match. One table, read in both directions.
/// </summary>
/// <param name="OpType">The ONNX op type, e.g. <c>Gemm</c>.</param>
public sealed record OnnxForm(string OpType)
{
    /// <summary>The first opset this form is valid in.</summary>
    public int MinOpset { get; init; } = 1;

    /// <summary>The last opset this form is valid in (ReduceSum's axes became an input at 13).</summary>
    public int MaxOpset { get; init; } = int.MaxValue;

    /// <summary>
    /// ONNX's inputs in order: each the name of a NetSpec input slot, <c>@name</c> for an
    /// attribute passed as a constant tensor (ReduceSum's axes since opset 13), or "" for an
    /// optional input left out. Null: NetSpec's input slots in order.
    /// </summary>
    public IReadOnlyList<string>? Inputs { get; init; }

    /// <summary>NetSpec attributes and the ONNX attributes they are.</summary>
    public IReadOnlyList<OnnxAttribute> Attributes { get; init; } = [];

    /// <summary>ONNX attributes with one value in this form: the exporter writes them, the importer requires them.</summary>
    public IReadOnlyList<OnnxFixed> Fixed { get; init; } = [];

    /// <summary>Only read by the importer (an ONNX pattern that maps onto the op, not how it exports).</summary>
    public bool ImportOnly { get; init; }

    /// <summary>What the form means or leaves out, for docs.</summary>
    public string? Note { get; init; }
}

/// <summary>A NetSpec attribute and the ONNX attribute it is, with ONNX's default when the ONNX node omits it.</summary>
/// <param name="Onnx">The ONNX attribute name, e.g. <c>transB</c>.</param>
/// <param name="NetSpec">The op's attribute name, e.g. <c>trans_b</c>.</param>
public sealed record OnnxAttribute(string Onnx, string NetSpec)
{
    /// <summary>ONNX's default for the attribute; null when it is the NetSpec default too.</summary>
    public AttributeValue? OnnxDefault { get; init; }
}

/// <summary>An ONNX attribute with a fixed value in a form (Gemm's <c>transB = 1</c> for linear).</summary>
public sealed record OnnxFixed(string Onnx, AttributeValue Value)
{
    /// <summary>Whether an ONNX node that omits the attribute matches (its ONNX default is this value).</summary>
    public bool IsOnnxDefault { get; init; }
}

/// <summary>
/// What an op's own ONNX writer is given (ops whose ONNX form is a chain of nodes, such as
/// l2_loss as Sub, Mul, ReduceSum, Mul).
/// </summary>
/// <param name="Name">The node's name; the chain's last output must carry it.</param>
/// <param name="Inputs">The ONNX names of the node's inputs.</param>
/// <param name="InputShapes">Their shapes.</param>
/// <param name="Output">The node's output shape.</param>
/// <param name="Attributes">The node's attribute values.</param>
public sealed record OnnxNodeInfo(string Name, IReadOnlyList<string> Inputs, IReadOnlyList<Shape> InputShapes, Shape Output, AttributeValues Attributes);

/// <summary>Where an op writes the ONNX nodes of a chain (implemented by the ONNX exporter).</summary>
public interface IOnnxWriter
{
    /// <summary>Adds an ONNX node; attribute values are long, long[], double, or string.</summary>
    void Node(string opType, string name, IReadOnlyList<string> inputs, string output, params (string Name, object Value)[] attributes);

    /// <summary>Adds a constant int64 tensor initializer (axes, shapes) and returns its name.</summary>
    string Int64s(string name, params long[] values);

    /// <summary>Adds a constant scalar in the model's element type and returns its name.</summary>
    string Scalar(string name, double value);
}
