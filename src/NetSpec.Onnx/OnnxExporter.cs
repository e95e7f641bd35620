using System.Globalization;
using Google.Protobuf;
using NetSpec.Parser.Model;
using NetSpec.Runtime;
using NetSpec.Runtime.Execution;
using NetSpec.Runtime.Graph;
using NetSpec.Runtime.Training;
using Onnx;

namespace NetSpec.Onnx;

/// <summary>
/// Writes a network as an ONNX model: by default its inference graph, from the data inputs to
/// the values the losses compare with their targets, with the parameters as initializers; with
/// <see cref="OnnxExportOptions.KeepLoss"/> the whole graph, losses and regularization included.
/// ONNX node and value names are NetSpec's node names; the nodes a loss expands into are named
/// <c>L/diff</c>, <c>L/sum</c> and so on.
/// </summary>
public static class OnnxExporter
{
    /// <summary>Ops that compare a prediction with a target or penalize weights; left out of an inference graph.</summary>
    public static readonly IReadOnlySet<string> LossOps = new HashSet<string>(StringComparer.Ordinal)
    {
        "l2_loss", "cross_entropy", "softmax_cross_entropy", "l2_regularization", "softmax_cross_entropy_rows", "reduce_sum",
        "mse_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits", "nll_loss",
    };

    /// <summary>The model as bytes, ready to write to a .onnx file.</summary>
    public static byte[] ExportBytes(NetworkGraph graph, OnnxExportOptions? options = null) => Export(graph, options).ToByteArray();

    /// <summary>The model; throws <see cref="OnnxExportException"/> when the network has nothing to export or an op ONNX cannot express.</summary>
    public static ModelProto Export(NetworkGraph graph, OnnxExportOptions? options = null)
    {
        options ??= new OnnxExportOptions();
        bool f32 = options.Float32 ?? graph.Spec.DType == DType.Float32;
        var (nodes, outputs) = Select(graph, options.KeepLoss);
        var values = ParameterValues(graph, options.Trained);
        if (options.Parameters is { } given)
        {
            if (NetSpec.Runtime.Training.ParameterFile.Mismatch(graph, given) is { } error) throw new OnnxExportException(error);
            foreach (var (name, e) in given) values[name] = e.Values;
        }

        var g = new GraphProto { Name = graph.Spec.Name, DocString = graph.Spec.Description?.Trim() ?? "" };
        var used = nodes.SelectMany(n => n.Inputs).Distinct().Select(i => graph.Values[i]).ToList();
        var batch = OnnxBatchAxes.Find(graph, nodes, used.Where(v => v.Kind == ValueKind.Data));
        foreach (var v in used.Where(v => v.Kind == ValueKind.Data))
            g.Input.Add(ValueInfo(v.Name, v.Shape, f32, batch.GetValueOrDefault(v.Index)));
        foreach (var v in used.Where(v => v.Kind == ValueKind.Parameter))
            g.Initializer.Add(OnnxTensors.Create(v.Name, v.Shape.Dims, values[v.Name], f32));
        var w = new NodeWriter(g, graph, f32, options.Opset);
        foreach (var n in nodes) w.Write(n);
        foreach (var o in outputs) g.Output.Add(ValueInfo(o.Name, o.Shape, f32, batch.GetValueOrDefault(o.Index)));

        var model = new ModelProto
        {
            IrVersion = 8,
            ProducerName = "NetSpec",
            ProducerVersion = typeof(OnnxExporter).Assembly.GetName().Version?.ToString(3) ?? "",
            DocString = $"Exported by NetSpec from the spec '{graph.Spec.Name}'" + (options.Parameters is not null ? " with the values of a parameters file" : options.Trained ? " after its optimizer steps" : ""),
            Graph = g,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = options.Opset });
        return model;
    }

    /// <summary>The nodes to write (topological order) and the graph outputs.</summary>
    internal static (List<GraphNode> Nodes, List<GraphValue> Outputs) Select(NetworkGraph graph, bool keepLoss)
    {
        var consumed = graph.Nodes.SelectMany(n => n.Inputs).ToHashSet();
        List<GraphValue> outputs;
        if (keepLoss)
            outputs = [.. graph.Nodes.Where(n => !consumed.Contains(n.Output)).Select(n => graph.Values[n.Output])];
        else
        {
            var losses = graph.Nodes.Where(n => LossOps.Contains(n.Op.Name)).ToList();
            var lossOutputs = losses.Select(n => n.Output).ToHashSet();
            var fed = losses.Where(n => n.Op.Name != "l2_regularization").Select(n => graph.Values[n.Inputs[0]])
                .Where(v => v.Kind == ValueKind.Node && !lossOutputs.Contains(v.Index));
            var sinks = graph.Nodes.Where(n => !consumed.Contains(n.Output) && !LossOps.Contains(n.Op.Name) && !DependsOnLoss(graph, n, lossOutputs))
                .Select(n => graph.Values[n.Output]);
            outputs = [.. fed.Concat(sinks).Distinct().OrderBy(v => graph.Values[v.Index].Producer)];
            if (outputs.Count == 0)
                throw new OnnxExportException(
                    $"the spec '{graph.Spec.Name}' has no inference graph to export: every node is a loss or regularization, or depends on one " +
                    "(--keep-loss exports the whole graph)");
        }
        var needed = new HashSet<int>();
        var stack = new Stack<int>(outputs.Select(o => o.Index));
        while (stack.Count > 0)
        {
            var v = graph.Values[stack.Pop()];
            if (v.Kind != ValueKind.Node || !needed.Add(v.Producer)) continue;
            foreach (var i in graph.Nodes[v.Producer].Inputs) stack.Push(i);
        }
        return ([.. graph.Nodes.Where(n => needed.Contains(n.Index))], outputs);
    }

    private static bool DependsOnLoss(NetworkGraph graph, GraphNode n, HashSet<int> lossOutputs) =>
        n.Inputs.Any(i => lossOutputs.Contains(i) || (graph.Values[i].Kind == ValueKind.Node && DependsOnLoss(graph, graph.Nodes[graph.Values[i].Producer], lossOutputs)));

    /// <summary>Every parameter's values: as given or drawn, or after the optimizer's steps.</summary>
    private static Dictionary<string, double[]> ParameterValues(NetworkGraph graph, bool trained)
    {
        var result = new Dictionary<string, double[]>(StringComparer.Ordinal);
        if (graph.Spec.DType == DType.Float32) Collect(new Interpreter<float>(graph), trained, result);
        else Collect(new Interpreter<double>(graph), trained, result);
        return result;
    }

    private static void Collect<T>(Interpreter<T> interp, bool trained, Dictionary<string, double[]> result)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        if (trained)
        {
            if (interp.Graph.Optimizer is null)
                throw new OnnxExportException($"the spec '{interp.Graph.Spec.Name}' has no optimizer, so there are no trained parameters to export");
            var run = new StepRunner<T>(interp).Run();
            if (run.Fault is { } f)
                throw new OnnxExportException($"training stopped at a NaN or infinity in node '{f.Node}' (step {f.Step}); nothing exported");
        }
        foreach (var v in interp.Graph.Values)
            if (v.Kind == ValueKind.Parameter) result[v.Name] = interp.Value(v.Name).ToDoubles();
    }

    /// <summary>
    /// A tensor's name, element type and shape; an axis named in <paramref name="symbolic"/> is
    /// written as that dimension parameter (<c>N</c>), or as an unknown dimension for "".
    /// </summary>
    internal static ValueInfoProto ValueInfo(string name, Shape shape, bool f32, string?[]? symbolic = null)
    {
        var shapeProto = new TensorShapeProto();
        for (int k = 0; k < shape.Rank; k++)
            shapeProto.Dim.Add(symbolic?[k] switch
            {
                null => new TensorShapeProto.Types.Dimension { DimValue = shape[k] },
                "" => new TensorShapeProto.Types.Dimension(),
                var p => new TensorShapeProto.Types.Dimension { DimParam = p },
            });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = f32 ? OnnxTensors.Float : OnnxTensors.Double, Shape = shapeProto } },
        };
    }

    internal static string Invariant(double x) => x.ToString("R", CultureInfo.InvariantCulture);
}
