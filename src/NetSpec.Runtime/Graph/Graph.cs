using NetSpec.Parser.Diagnostics;
using NetSpec.Parser.Model;
using NetSpec.Runtime.Ops;

namespace NetSpec.Runtime.Graph;

/// <summary>What a value in the graph is.</summary>
public enum ValueKind
{
    Data,
    Parameter,
    Node,
}

/// <summary>A named value: inline data, a trainable parameter, or the output of a node.</summary>
public sealed record GraphValue(int Index, string Name, ValueKind Kind, Shape Shape, SourceSpan Span)
{
    /// <summary>Initial values (data and literal parameters), row-major.</summary>
    public double[]? Literal { get; init; }

    /// <summary>How a parameter without literal values is initialized.</summary>
    public InitializerDecl? Init { get; init; }

    /// <summary>
    /// Whether the optimizer updates this parameter; false for <c>trainable: false</c> (its
    /// gradient is still computed and traced). True for data and nodes, which it never updates.
    /// </summary>
    public bool Trainable { get; init; } = true;

    /// <summary>The node producing this value, for <see cref="ValueKind.Node"/>.</summary>
    public int Producer { get; init; } = -1;
}

/// <summary>A node: an op applied to input values, producing one output value.</summary>
public sealed record GraphNode(int Index, string Name, Op Op, int[] Inputs, int Output, AttributeValues Attributes, SourceSpan Span)
{
    /// <summary>How each attribute was written (e.g. "lambda = 0.1"), for traces.</summary>
    public string[] AttributeText { get; init; } = [];

    /// <summary>How the node computes its value, e.g. "linear(x, W, b)" or "l2_regularization(W, M, lambda = 0.1)".</summary>
    public string Expression { get; init; } = "";

    /// <summary>Whether a gradient flows to input <paramref name="input"/> (every input of a list slot shares the slot's answer).</summary>
    public bool IsDifferentiable(int input) =>
        Op.Inputs.Count == 1 && Op.Inputs[0].IsList ? Op.Inputs[0].Differentiable : Op.Inputs[input].Differentiable && !Op.Inputs[input].State;
}

/// <summary>A checked expectation bound to the value it names.</summary>
public sealed record BoundExpectation(Expectation Spec, int Value)
{
    /// <summary>The step after which it is checked: the spec's step, or the last step for an updated value that names none.</summary>
    public int Step { get; init; } = Spec.Step;
}

/// <summary>
/// A validated network, ready to run: values, nodes in topological order, where backward
/// starts, the optimizer and the expectations. Shapes are all inferred.
/// </summary>
public sealed class NetworkGraph
{
    internal NetworkGraph(SpecDocument spec, IReadOnlyList<GraphValue> values, IReadOnlyList<GraphNode> nodes,
        int backwardFrom, double[]? seedGradient, IReadOnlyList<BoundExpectation> expectations)
    {
        Spec = spec;
        Values = values;
        Nodes = nodes;
        BackwardFrom = backwardFrom;
        SeedGradient = seedGradient;
        Expectations = expectations;
        _needsGradient = BackwardPlan.NeedsGradient(backwardFrom, values.Count, nodes);
        UsesMode = nodes.Any(n => n.Op.DependsOnMode);
        _byName = new Dictionary<string, int>(values.Count, StringComparer.Ordinal);
        foreach (var v in values) _byName.TryAdd(v.Name, v.Index);
    }

    private readonly Dictionary<string, int> _byName;
    private readonly bool[] _needsGradient;

    public SpecDocument Spec { get; }
    public IReadOnlyList<GraphValue> Values { get; }

    /// <summary>Nodes in topological order (declaration order where the graph allows).</summary>
    public IReadOnlyList<GraphNode> Nodes { get; }

    /// <summary>The value backward starts from, or -1 for a forward-only spec.</summary>
    public int BackwardFrom { get; }

    /// <summary>The assumed upstream gradient at <see cref="BackwardFrom"/>; null means dJ/dJ = 1.</summary>
    public double[]? SeedGradient { get; }

    public IReadOnlyList<BoundExpectation> Expectations { get; }

    public OptimizerDecl? Optimizer => Spec.Optimizer;

    /// <summary>Whether the spec's steps run in training mode (<see cref="SpecDocument.TrainingMode"/>).</summary>
    public bool TrainingMode => Spec.TrainingMode;

    /// <summary>Whether some node computes differently in training and evaluation mode (<see cref="Op.DependsOnMode"/>); the trace then shows the mode.</summary>
    public bool UsesMode { get; }

    public int Steps => Spec.Optimizer is { } o ? (int)o.Steps.Value : 1;

    /// <summary>The value named <paramref name="name"/>, or null; a dictionary look-up.</summary>
    public GraphValue? Find(string name) => _byName.TryGetValue(name, out int i) ? Values[i] : null;

    /// <summary>
    /// Whether a gradient flows from <see cref="BackwardFrom"/> to value <paramref name="value"/>:
    /// the root itself and every value it depends on through differentiable inputs. With
    /// <paramref name="dataGradients"/> false, data values other than the root are left out
    /// (training needs no dJ/dx). Always false for a forward-only spec.
    /// </summary>
    public bool NeedsGradient(int value, bool dataGradients = true) =>
        _needsGradient[value] && (dataGradients || Values[value].Kind != ValueKind.Data || value == BackwardFrom);

    /// <summary>The dataset a training spec trains on, read when the spec was loaded.</summary>
    public LoadedDataset? Dataset { get; internal set; }
}
