using System.Globalization;
using System.Text;
using NetSpec.Runtime;
using NetSpec.Runtime.Execution;
using NetSpec.Runtime.Ops;

namespace NetSpec.Bench;

/// <summary>
/// The one-node spec each op is benchmarked with, generated from the op's first gradient-check
/// case (<see cref="Op.GradientCases"/>) at the benchmark's batch size, so a new op is
/// benchmarked without a line here. The case's feature sizes (3, 4, 6: small, for finite
/// differences) are scaled by <see cref="Scale"/> to the digits MLP's (48, 64, 96), keeping
/// sizes of 1 (broadcast axes) and the batch; an op whose spec does not load scaled (a size
/// tied to an attribute value) runs at the case's own sizes. Inputs are random in each slot's
/// domain; backward starts at the node, with a random upstream gradient unless it is a scalar.
/// </summary>
public static class OpBenchSpecs
{
    public const int Scale = 16;

    /// <summary>The spec text for <paramref name="op"/> at batch size <paramref name="batch"/>, and the input shapes it uses.</summary>
    public static (string Yaml, string Shapes) For(Op op, int batch)
    {
        var c = op.GradientCases(batch).First();
        var scaled = c.InputShapes.Select(s => s.Select(d => d == batch || d <= 1 ? d : d * Scale).ToArray()).ToList();
        foreach (var shapes in new[] { scaled, [.. c.InputShapes] })
        {
            var forward = ForwardSpec(op, c, shapes);
            var loaded = NetSpecEngine.LoadText($"{op.Name}.yaml", forward);
            if (!loaded.Ok) continue;
            var graph = loaded.Graph!;
            var output = graph.Values[graph.Nodes[0].Output].Shape;
            string backward = output.Rank == 0
                ? "backward: {from: y}\n"
                : $"backward: {{from: y, grad: {Tensor(output.ToArray(), ValueDomain.Real, new Rng(99))}}}\n";
            return (forward + backward, string.Join(", ", shapes.Select(s => s.Length == 0 ? "scalar" : string.Join("x", s))));
        }
        throw new InvalidOperationException($"op '{op.Name}': its gradient-check case '{c.Label}' does not load as a spec");
    }

    /// <summary>One node <c>y</c> of the op over parameters p0, p1, ... of the given shapes (shared positions share a name).</summary>
    private static string ForwardSpec(Op op, GradientCase c, IReadOnlyList<int[]> shapes)
    {
        var names = new string[shapes.Count];
        for (int i = 0; i < names.Length; i++) names[i] = $"p{i}";
        foreach (var group in c.Shared)
            foreach (int i in group) names[i] = names[group[0]];
        bool list = op.Inputs.Count == 1 && op.Inputs[0].IsList;
        var node = new StringBuilder($"{{op: {op.Name}");
        if (list) node.Append($", {op.Inputs[0].Name}: [{string.Join(", ", names)}]");
        else for (int i = 0; i < op.Inputs.Count; i++) node.Append($", {op.Inputs[i].Name}: {names[i]}");
        foreach (var (name, yaml) in c.Attributes) node.Append($", {name}: {yaml}");
        node.Append('}');
        var rng = new Rng(1);
        var parameters = new StringBuilder();
        for (int i = 0; i < shapes.Count; i++)
        {
            if (names[i] != $"p{i}") continue;
            var slot = list ? op.Inputs[0] : op.Inputs[i];
            parameters.Append($"  {names[i]}: {Tensor(shapes[i], slot.Domain, rng)}\n");
        }
        return $"network:\n  y: {node}\nparameters:\n{parameters}";
    }

    /// <summary>A random tensor as YAML nested lists (a number for a scalar), values in <paramref name="domain"/>.</summary>
    private static string Tensor(int[] shape, ValueDomain domain, Rng rng)
    {
        int n = shape.Aggregate(1, (a, d) => a * d), cols = shape.Length == 0 ? 1 : shape[^1];
        var v = new double[n];
        for (int i = 0; i < n; i++)
        {
            double u = rng.NextDouble();
            v[i] = domain switch
            {
                ValueDomain.Positive => 0.2 + 1.8 * u,
                ValueDomain.Probability => 0.05 + 0.9 * u,
                ValueDomain.Distribution => 0.05 + u,
                _ => 2 * u - 1,
            };
        }
        if (domain == ValueDomain.Distribution)
            for (int r = 0; r < n / cols; r++)
            {
                double sum = 0;
                for (int j = 0; j < cols; j++) sum += v[r * cols + j];
                for (int j = 0; j < cols; j++) v[r * cols + j] /= sum;
            }
        var sb = new StringBuilder();
        int at = 0;
        Write(sb, shape, 0, v, ref at);
        return sb.ToString();
    }

    private static void Write(StringBuilder sb, int[] shape, int axis, double[] v, ref int at)
    {
        if (axis == shape.Length)
        {
            sb.Append(v[at++].ToString("R", CultureInfo.InvariantCulture));
            return;
        }
        sb.Append('[');
        for (int i = 0; i < shape[axis]; i++)
        {
            if (i > 0) sb.Append(", ");
            Write(sb, shape, axis + 1, v, ref at);
        }
        sb.Append(']');
    }

    /// <summary><c>op-specs</c>: each op's benchmark shapes, after checking that its spec loads and runs forward and backward.</summary>
    public static int Run(int batch)
    {
        foreach (var op in OpRegistry.All)
        {
            var (yaml, shapes) = For(op, batch);
            var loaded = NetSpecEngine.LoadText($"{op.Name}.yaml", yaml);
            if (!loaded.Ok) throw new InvalidOperationException(string.Join("\n", loaded.Diagnostics.Items));
            var run = new Interpreter<double>(loaded.Graph!);
            if (!run.Forward(1) || !run.Backward(1)) throw new InvalidOperationException($"op '{op.Name}': its benchmark spec does not run");
            Console.WriteLine($"{op.Name,-28} {shapes}");
        }
        return 0;
    }
}
