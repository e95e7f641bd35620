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
    /// attribute passed as a constant tensor (ReduceSum's axes since opset 13: int64; a number
    /// attribute as a scalar of the model's element type, Pad's constant_value), or "" for an
    /// optional input left out. Null: NetSpec's input slots in order. An <c>@name</c> whose
    /// attribute the op does not declare is read only by <see cref="ImportCheck"/> (as a
    /// constant) and left out on export; so is one whose value is an empty list that is the
    /// attribute's default (reduce_sum's axes: every axis, as ONNX means by leaving axes out).
    /// </summary>
    public IReadOnlyList<string>? Inputs { get; init; }

    /// <summary>NetSpec attributes and the ONNX attributes they are.</summary>
    public IReadOnlyList<OnnxAttribute> Attributes { get; init; } = [];

    /// <summary>ONNX attributes with one value in this form: the exporter writes them, the importer requires them.</summary>
    public IReadOnlyList<OnnxFixed> Fixed { get; init; } = [];

    /// <summary>Only read by the importer (an ONNX pattern that maps onto the op, not how it exports).</summary>
    public bool ImportOnly { get; init; }

    /// <summary>What the form means or leaves out, for docs and for the importer's refusals.</summary>
    public string? Note { get; init; }

    /// <summary>
    /// NetSpec input slots an ONNX node may leave out; the importer passes a zero scalar for one
    /// that is missing (Gemm's optional C).
    /// </summary>
    public IReadOnlyList<string> OptionalInputs { get; init; } = [];

    /// <summary>
    /// NetSpec input slots that ONNX gives as integer class indices (N) and NetSpec takes as
    /// one-hot rows (N x C, C the last axis of the op's first input): the importer reads the
    /// indices as constants and writes the one-hot rows as data (SoftmaxCrossEntropyLoss's labels).
    /// </summary>
    public IReadOnlyList<string> OneHotInputs { get; init; } = [];

    /// <summary>
    /// A NetSpec op of one input and no attributes applied to the op's output on import: the ONNX
    /// node is this op followed by that one (SoftmaxCrossEntropyLoss with reduction sum is
    /// softmax_cross_entropy_rows, then reduce_sum). Only for <see cref="ImportOnly"/> forms.
    /// </summary>
    public string? Then { get; init; }

    /// <summary>
    /// ONNX attributes that <see cref="ImportCheck"/> reads and accepts, besides the mapped and
    /// fixed ones (Softmax's axis before opset 13, ReduceSum's axes before 13).
    /// </summary>
    public IReadOnlyList<string> CheckedAttributes { get; init; } = [];

    /// <summary>
    /// The import hook for what the table cannot say: null when the ONNX node maps onto the op
    /// through this form, else why not, for a message ("it sums along axis 1; NetSpec's
    /// reduce_sum sums every element"). Runs after the opset, fixed attributes and inputs matched.
    /// </summary>
    public Func<OnnxImportQuery, string?>? ImportCheck { get; init; }
}

/// <summary>What an <see cref="OnnxForm.ImportCheck"/> is told about the ONNX node.</summary>
/// <param name="Opset">The model's opset of the default domain.</param>
/// <param name="InputShapes">The dims of each ONNX input, null for one left out.</param>
/// <param name="Attribute">An ONNX attribute by name as a value (ints, floats, strings), or null when the node omits it.</param>
/// <param name="Constant">The values of ONNX input <c>i</c> when it is a constant integer tensor, else null.</param>
public sealed record OnnxImportQuery(int Opset, IReadOnlyList<int[]?> InputShapes, Func<string, AttributeValue?> Attribute, Func<int, long[]?> Constant)
{
    /// <summary>ONNX axis <paramref name="axis"/> of a rank <paramref name="rank"/> tensor counted from 0 (-1 is the last).</summary>
    public static long Normalize(long axis, int rank) => axis < 0 ? axis + rank : axis;
}

/// <summary>
/// A NetSpec attribute and the ONNX attribute it is, with ONNX's default when the ONNX node omits it.
/// When the op does not (yet) declare the NetSpec attribute, the importer accepts only ONNX's
/// default for it (the value the op computes) and the exporter writes that default.
/// </summary>
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
