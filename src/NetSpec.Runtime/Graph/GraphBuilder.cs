using NetSpec.Parser.Diagnostics;
using NetSpec.Parser.Model;
using NetSpec.Parser.Yaml;

namespace NetSpec.Runtime.Graph;

/// <summary>
/// Turns a parsed spec into a <see cref="NetworkGraph"/>, one job after another, each in
/// O(nodes + edges): names and bindings (<see cref="NameBinder"/>, attributes in
/// <see cref="AttributeBinder"/>), order (<see cref="NodeOrder"/>), shapes
/// (<see cref="ShapeInference"/>), where backward starts and which values need gradients
/// (<see cref="BackwardPlan"/>), expectations (<see cref="ExpectationBinder"/>) and unused
/// values (<see cref="UnusedValues"/>). Reports every independent problem, each at its position.
/// </summary>
public static class GraphBuilder
{
    /// <summary>
    /// The graph, or null when the spec has errors (they are in <paramref name="diagnostics"/>).
    /// <paramref name="limits"/> bounds the elements of the values the graph infers, as the parser
    /// bounds those the spec declares.
    /// </summary>
    public static NetworkGraph? Build(SpecDocument spec, DiagnosticBag diagnostics, ParserLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(diagnostics);
        int errorsBefore = diagnostics.ErrorCount;
        var binder = new NameBinder(spec, diagnostics);
        var values = binder.DeclareValues();
        var pending = binder.BindNodes();
        var order = NodeOrder.Sort(pending, values.Count, diagnostics);
        var shapes = new ShapeInference(values, diagnostics, (limits ?? ParserLimits.Default).MaxElements);
        var nodes = shapes.Run(order);
        if (spec.TrainingMode) CheckTrainingMode(nodes, shapes.Shapes, diagnostics);
        var backward = BackwardPlan.Bind(spec, values, shapes.Shapes, diagnostics);
        var expectations = ExpectationBinder.Bind(spec, values, shapes.Shapes, diagnostics);
        if (!diagnostics.HasErrors) UnusedValues.Warn(spec, values, backward.From, diagnostics);

        if (diagnostics.ErrorCount > errorsBefore) return null;
        return new NetworkGraph(spec, values.All, nodes, backward.From, backward.Seed, expectations);
    }

    /// <summary>What an op needs in training mode (<see cref="Ops.Op.TrainingModeError"/>), reported at its node.</summary>
    private static void CheckTrainingMode(IReadOnlyList<GraphNode> nodes, Shape?[] shapes, DiagnosticBag diagnostics)
    {
        foreach (var n in nodes)
        {
            if (!n.Op.DependsOnMode) continue;
            var inputs = new Shape[n.Inputs.Length];
            bool known = true;
            for (int i = 0; i < inputs.Length; i++)
            {
                if (shapes[n.Inputs[i]] is { } s) inputs[i] = s;
                else known = false;
            }
            if (known && n.Op.TrainingModeError(inputs) is { } error)
                diagnostics.Error(Codes.ShapeMismatch, n.Span, $"node '{n.Name}': {error}");
        }
    }

    /// <summary>Whether a literal as written fits a value's shape (a vector fits a batch of one).</summary>
    public static bool Fits(TensorLiteral lit, Shape shape) => LiteralShapes.Fits(lit, shape);

    /// <summary>A name as quoted in a message: at most 40 characters.</summary>
    internal static string Clip(string s) => Excerpt.Clip(s);
}
