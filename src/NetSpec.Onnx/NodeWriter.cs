using NetSpec.Runtime.Graph;
using NetSpec.Runtime.Ops;
using Onnx;

namespace NetSpec.Onnx;

/// <summary>
/// Writes NetSpec nodes as ONNX nodes, each from its op's ONNX forms (<see cref="Op.OnnxForms"/>):
/// the first form that is not import-only and holds at the model's opset gives the ONNX op type,
/// the order of its inputs, its attributes and their fixed values (linear is Gemm with transB = 1);
/// an op whose ONNX form is a chain of nodes (<see cref="Op.WritesOwnOnnx"/>, l2_loss as Sub, Mul,
/// ReduceSum, Mul) writes them itself through this writer. A chain's last output carries the
/// NetSpec node's name. An op with no form is refused by name.
/// </summary>
internal sealed class NodeWriter(GraphProto graph, NetworkGraph net, bool float32, int opset) : IOnnxWriter
{
    public void Write(GraphNode n)
    {
        var op = n.Op;
        string[] ins = [.. n.Inputs.Select(i => net.Values[i].Name)];
        if (op.WritesOwnOnnx)
        {
            op.WriteOnnx(this, new OnnxNodeInfo(n.Name, ins, [.. n.Inputs.Select(i => net.Values[i].Shape)], net.Values[n.Output].Shape, n.Attributes));
            return;
        }
        var form = op.OnnxForms.FirstOrDefault(f => !f.ImportOnly && f.MinOpset <= opset && opset <= f.MaxOpset)
            ?? throw new OnnxExportException(op.OnnxForms.Any(f => !f.ImportOnly)
                ? $"op '{op.Name}' of node '{n.Name}' has no ONNX form at opset {opset}"
                : $"op '{op.Name}' of node '{n.Name}' has no ONNX form in NetSpec, so it cannot be exported");

        var inputs = new List<string>();
        bool list = op.Inputs.Count == 1 && op.Inputs[0].IsList;
        foreach (var slot in form.Inputs ?? [.. op.Inputs.Select(s => s.Name)])
        {
            if (slot.Length == 0) inputs.Add("");
            else if (slot[0] == '@')
            {
                int a = op.AttributeIndex(slot[1..]);
                inputs.Add(a < 0 || LeftOut(op, a, n.Attributes[a]) ? ""
                    : op.Attributes[a].Type == AttributeType.Number ? Scalar($"{n.Name}/{slot[1..]}", n.Attributes[a].Number)
                    : Int64s($"{n.Name}/{slot[1..]}", [.. n.Attributes[a].Integers]));
            }
            else if (list) inputs.AddRange(ins);
            else
            {
                int k = op.Inputs.ToList().FindIndex(s => s.Name == slot);
                if (k < 0) throw new InvalidOperationException($"the ONNX form {form.OpType} of op '{op.Name}' names the input '{slot}', which the op does not have");
                inputs.Add(k < ins.Length ? ins[k] : ""); // an optional input the node leaves out
            }
        }
        while (inputs.Count > 0 && inputs[^1].Length == 0) inputs.RemoveAt(inputs.Count - 1);

        var attributes = new List<(string, object)>();
        foreach (var f in form.Fixed.Where(f => !f.IsOnnxDefault)) attributes.Add((f.Onnx, OnnxValue(f.Value, null)));
        foreach (var a in form.Attributes)
        {
            int i = op.AttributeIndex(a.NetSpec);
            if (i >= 0 && a.OnnxDefault is null && LeftOut(op, i, n.Attributes[i])) continue;
            if (i >= 0) attributes.Add((a.Onnx, OnnxValue(n.Attributes[i], op.Attributes[i].Type)));
            else if (a.OnnxDefault is { } d) attributes.Add((a.Onnx, OnnxValue(d, null)));
        }
        Node(form.OpType, n.Name, inputs, n.Name, [.. attributes]);
    }

    /// <summary>
    /// Whether a list attribute is left out of the ONNX node: an empty list that is the op's
    /// default (reduce_sum's axes, every axis), which ONNX means by leaving the attribute or the
    /// optional input out.
    /// </summary>
    private static bool LeftOut(Op op, int i, AttributeValue v) =>
        op.Attributes[i].Type == AttributeType.IntegerList && v.Integers.Count == 0 && op.Attributes[i].Default is { Integers.Count: 0 };

    /// <summary>
    /// An attribute value as the ONNX writer takes it: by the NetSpec type when known (Number is
    /// FLOAT, Integer and Flag INT, IntegerList INTS, Enum STRING), else by its kind (a word is a
    /// STRING, a list INTS, a whole number INT, another number FLOAT).
    /// </summary>
    private static object OnnxValue(AttributeValue v, AttributeType? type) => type switch
    {
        AttributeType.Number => v.Number,
        AttributeType.Integer or AttributeType.Flag => (long)v.Number,
        AttributeType.IntegerList => v.Integers.ToArray(),
        AttributeType.Enum => v.Text,
        _ => v.Text.Length > 0 ? v.Text
            : v.Integers.Count > 0 ? v.Integers.ToArray()
            : v.Number == Math.Floor(v.Number) ? (object)(long)v.Number
            : v.Number,
    };

    public void Node(string opType, string name, IReadOnlyList<string> inputs, string output, params (string Name, object Value)[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = name };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        foreach (var (key, value) in attributes) node.Attribute.Add(Attribute(key, value));
        graph.Node.Add(node);
    }

    public string Int64s(string name, params long[] values)
    {
        graph.Initializer.Add(OnnxTensors.Int64s(name, values));
        return name;
    }

    public string Scalar(string name, double value)
    {
        graph.Initializer.Add(OnnxTensors.Create(name, [], [value], float32));
        return name;
    }

    private static AttributeProto Attribute(string name, object value)
    {
        var a = new AttributeProto { Name = name };
        switch (value)
        {
            case long i:
                a.Type = AttributeProto.Types.AttributeType.Int;
                a.I = i;
                break;
            case long[] ints:
                a.Type = AttributeProto.Types.AttributeType.Ints;
                a.Ints.AddRange(ints);
                break;
            case double f:
                a.Type = AttributeProto.Types.AttributeType.Float;
                a.F = (float)f;
                break;
            case string s:
                a.Type = AttributeProto.Types.AttributeType.String;
                a.S = Google.Protobuf.ByteString.CopyFromUtf8(s);
                break;
            default:
                throw new ArgumentException($"ONNX attribute '{name}': a {value.GetType().Name} is not a long, long[], double or string", nameof(value));
        }
        return a;
    }
}
