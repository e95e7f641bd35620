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
    /// NetSpec input slots that ONNX gives as integer class indices and NetSpec takes as class
    /// indices stored as floats, in the same shape (nll_loss's labels): the importer reads the
    /// integers as constants (an initializer, a Constant node or test data) and writes them as data.
    /// </summary>
    public IReadOnlyList<string> ClassIndexInputs { get; init; } = [];

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

    /// <summary>
    /// The import hook for attributes the table cannot map one to one: NetSpec attribute values
    /// computed from the ONNX node, replacing the mapped ones (ONNX's auto_pad becomes explicit
    /// padding computed from the input's shape). Runs after <see cref="ImportCheck"/> accepted
    /// the node; the values are checked against the attributes' ranges as mapped ones are.
    /// </summary>
    public Func<OnnxImportQuery, IReadOnlyList<(string Attribute, AttributeValue Value)>>? ImportAttributes { get; init; }

    /// <summary>
    /// The ONNX node's outputs after the first that NetSpec computes too, each as a chain of
    /// NetSpec nodes over the node's inputs (SoftmaxCrossEntropyLoss's log_prob is log_softmax
    /// of the scores; LayerNormalization's Mean is reduce_mean of X). An output not listed here
    /// is refused when a graph reads it. Import only: the exporter writes the first output.
    /// </summary>
    public IReadOnlyList<OnnxOutput> Outputs { get; init; } = [];
}

/// <summary>
/// How NetSpec computes ONNX output <paramref name="Index"/> (1 for the second) of a node mapped
/// through a form: <paramref name="Steps"/> gives the chain of NetSpec nodes for the node at hand
/// (its shapes and attributes); the last step's value is the output.
/// </summary>
/// <param name="Index">The ONNX output's index, from 1.</param>
/// <param name="Steps">The chain for one node; an empty list refuses the output (say why in <see cref="Refusal"/>).</param>
public sealed record OnnxOutput(int Index, Func<OnnxOutputQuery, IReadOnlyList<OnnxStep>> Steps)
{
    /// <summary>Why an empty chain is refused, for the importer's message.</summary>
    public string Refusal { get; init; } = "NetSpec does not compute it";
}

/// <summary>What an <see cref="OnnxOutput"/> is told: the ONNX node, and the op's attributes as imported.</summary>
/// <param name="Node">The ONNX node's opset, input shapes, attributes and constants.</param>
/// <param name="Attribute">The mapped op's attribute value by NetSpec name (after ONNX's and NetSpec's defaults).</param>
/// <param name="Rank">The rank of ONNX input <c>i</c> (0 when it is left out).</param>
public sealed record OnnxOutputQuery(OnnxImportQuery Node, Func<string, AttributeValue> Attribute, Func<int, int> Rank);

/// <summary>
/// One NetSpec node of an <see cref="OnnxOutput"/>'s chain: op <paramref name="Op"/> over
/// <paramref name="Inputs"/>, one per input slot of the op in order (a list slot takes one).
/// Each input is an input slot name of the form's op (the ONNX input it reads), the
/// <see cref="Name"/> of an earlier step, or a number written "=0.5" (a scalar constant in the
/// model's element type).
/// </summary>
/// <param name="Name">The step's name, unique in its chain; the importer prefixes the ONNX output's name.</param>
/// <param name="Op">The NetSpec op.</param>
/// <param name="Inputs">Where each input slot reads from.</param>
public sealed record OnnxStep(string Name, string Op, IReadOnlyList<string> Inputs)
{
    /// <summary>Attributes given by NetSpec name; the rest take the op's defaults.</summary>
    public IReadOnlyList<(string Name, AttributeValue Value)> Attributes { get; init; } = [];

    /// <summary>
    /// A constant tensor of ones shaped as the input slot <paramref name="like"/> reads (Dropout's
    /// mask when nothing is dropped, ONNX's bool true read as 1).
    /// </summary>
    public static OnnxStep Ones(string name, string like) => new(name, OnesOp, [like]);

    /// <summary>The <see cref="Op"/> of <see cref="Ones"/> (no NetSpec op has this name).</summary>
    public const string OnesOp = "(ones)";
}

/// <summary>What an <see cref="OnnxForm.ImportCheck"/> is told about the ONNX node.</summary>
/// <param name="Opset">The model's opset of the default domain.</param>
/// <param name="InputShapes">The dims of each ONNX input, null for one left out.</param>
/// <param name="Attribute">An ONNX attribute by name as a value (ints, floats, strings), or null when the node omits it.</param>
/// <param name="Constant">The values of ONNX input <c>i</c> when it is a constant integer tensor, else null.</param>
public sealed record OnnxImportQuery(int Opset, IReadOnlyList<int[]?> InputShapes, Func<string, AttributeValue?> Attribute, Func<int, long[]?> Constant)
{
    /// <summary>
    /// The values of ONNX input <c>i</c> when they are known at import (an initializer, a Constant
    /// node, or a graph input with test data), of any element type read as numbers (bool as 0 and
    /// 1), else null: Dropout's ratio and training_mode.
    /// </summary>
    public Func<int, double[]?> Values { get; init; } = _ => null;

    /// <summary>Whether ONNX output <c>k</c> (0 the first) is read by the graph or is one of its outputs.</summary>
    public Func<int, bool> OutputUsed { get; init; } = k => k == 0;

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
