using NetSpec.Runtime.Graph;
using Onnx;

namespace NetSpec.Onnx;

/// <summary>
/// Writes NetSpec nodes as ONNX nodes: one ONNX node where an ONNX op computes the same thing
/// (linear is Gemm with transB = 1), a short chain where it does not (l2_loss is Sub, Mul,
/// ReduceSum, Mul). A chain's last output carries the NetSpec node's name.
/// </summary>
internal sealed class NodeWriter(GraphProto graph, NetworkGraph net, bool float32)
{
    public void Write(GraphNode n)
    {
        string[] ins = [.. n.Inputs.Select(i => net.Values[i].Name)];
        string output = n.Name;
        int rows = net.Values[n.Inputs[0]].Shape.Rows;
        switch (n.Op.Name)
        {
            case "linear":
                Node("Gemm", n.Name, ins, output, Int("transB", 1));
                break;
            case "relu":
                Node("Relu", n.Name, ins, output);
                break;
            case "softmax":
                Node("Softmax", n.Name, ins, output, Int("axis", -1));
                break;
            case "sum":
                Node("Sum", n.Name, ins, output);
                break;
            case "gemm":
                Node("Gemm", n.Name, ins, output, Float("alpha", n.Attributes.Number(0)), Float("beta", n.Attributes.Number(1)),
                    Int("transA", (long)n.Attributes.Number(2)), Int("transB", (long)n.Attributes.Number(3)));
                break;
            case "matmul":
                Node("MatMul", n.Name, ins, output);
                break;
            case "add" or "sub" or "mul":
                Node(n.Op.Name switch { "add" => "Add", "sub" => "Sub", _ => "Mul" }, n.Name, ins, output);
                break;
            case "reduce_sum":
                Node("ReduceSum", n.Name, ins, output, Int("keepdims", 0));
                break;
            case "softmax_cross_entropy_rows":
            {
                // L_n = -Σ_j y_nj log_softmax(x_n)_j
                string axes = $"{n.Name}/axes";
                graph.Initializer.Add(OnnxTensors.Int64s(axes, 1));
                Node("LogSoftmax", $"{n.Name}/log_softmax", [ins[0]], $"{n.Name}/log_softmax", Int("axis", -1));
                Node("Mul", $"{n.Name}/weighted", [ins[1], $"{n.Name}/log_softmax"], $"{n.Name}/weighted");
                Node("ReduceSum", $"{n.Name}/row_sums", [$"{n.Name}/weighted", axes], $"{n.Name}/row_sums", Int("keepdims", 0));
                Node("Neg", $"{n.Name}/neg", [$"{n.Name}/row_sums"], output);
                break;
            }
            case "l2_loss":
            {
                // L = (1/N) Σ 1/2 ||o - y||²
                Node("Sub", $"{n.Name}/diff", ins, $"{n.Name}/diff");
                Node("Mul", $"{n.Name}/square", [$"{n.Name}/diff", $"{n.Name}/diff"], $"{n.Name}/square");
                Node("ReduceSum", $"{n.Name}/sum", [$"{n.Name}/square"], $"{n.Name}/sum", Int("keepdims", 0));
                Scale(n.Name, $"{n.Name}/sum", 0.5 / rows, output);
                break;
            }
            case "l2_regularization":
            {
                // S = λ/2 Σ_k ||W_k||²
                var parts = new List<string>();
                for (int k = 0; k < ins.Length; k++)
                {
                    Node("Mul", $"{n.Name}/square{k}", [ins[k], ins[k]], $"{n.Name}/square{k}");
                    Node("ReduceSum", $"{n.Name}/sum{k}", [$"{n.Name}/square{k}"], $"{n.Name}/sum{k}", Int("keepdims", 0));
                    parts.Add($"{n.Name}/sum{k}");
                }
                Node("Sum", $"{n.Name}/total", [.. parts], $"{n.Name}/total");
                Scale(n.Name, $"{n.Name}/total", n.Attributes.Number(0) / 2, output);
                break;
            }
            case "cross_entropy":
            {
                // L = -(1/N) Σ y ln o
                Node("Log", $"{n.Name}/log", [ins[0]], $"{n.Name}/log");
                Node("Mul", $"{n.Name}/weighted", [ins[1], $"{n.Name}/log"], $"{n.Name}/weighted");
                Node("ReduceSum", $"{n.Name}/sum", [$"{n.Name}/weighted"], $"{n.Name}/sum", Int("keepdims", 0));
                Scale(n.Name, $"{n.Name}/sum", -1.0 / rows, output);
                break;
            }
            case "softmax_cross_entropy":
            {
                // L = -(1/N) Σ y log_softmax(x)
                Node("LogSoftmax", $"{n.Name}/log_softmax", [ins[0]], $"{n.Name}/log_softmax", Int("axis", -1));
                Node("Mul", $"{n.Name}/weighted", [ins[1], $"{n.Name}/log_softmax"], $"{n.Name}/weighted");
                Node("ReduceSum", $"{n.Name}/sum", [$"{n.Name}/weighted"], $"{n.Name}/sum", Int("keepdims", 0));
                Scale(n.Name, $"{n.Name}/sum", -1.0 / rows, output);
                break;
            }
            default:
                throw new OnnxExportException($"op '{n.Op.Name}' of node '{n.Name}' has no ONNX form in NetSpec's exporter");
        }
    }

    /// <summary>output = input * factor, the factor a scalar initializer named "node/scale".</summary>
    private void Scale(string node, string input, double factor, string output)
    {
        string name = $"{node}/scale";
        graph.Initializer.Add(OnnxTensors.Create(name, [], [factor], float32));
        Node("Mul", $"{node}/scaled", [input, name], output);
    }

    private void Node(string opType, string name, string[] inputs, string output, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = name };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        node.Attribute.AddRange(attributes);
        graph.Node.Add(node);
    }

    private static AttributeProto Float(string name, double value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = (float)value };

    private static AttributeProto Int(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };
}
