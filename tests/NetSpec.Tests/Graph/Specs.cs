using NetSpec.Parser.Diagnostics;
using NetSpec.Parser.Model;

namespace NetSpec.Tests.Graph;

/// <summary>Spec documents made in code, without YAML: nodes of one input each, inline data.</summary>
internal static class Specs
{
    public static readonly SourceSpan Nowhere = SourceSpan.None("test.yaml");

    /// <summary>A node <c>{op: <paramref name="op"/>, key: value, ...}</c>.</summary>
    public static NodeDecl Node(string name, string op, params (string Key, string Value)[] args) =>
        new(name, new NameRef(op, Nowhere),
            [.. args.Select(a => new NodeArg(a.Key, new ArgScalar(a.Value, null, Nowhere), Nowhere))], Nowhere, Nowhere);

    /// <summary>A node taking a list, e.g. <c>{op: sum, inputs: [a, b]}</c>.</summary>
    public static NodeDecl ListNode(string name, string op, string key, IEnumerable<string> items) =>
        new(name, new NameRef(op, Nowhere),
            [new NodeArg(key, new ArgList([.. items.Select(i => new ArgScalar(i, null, Nowhere))], Nowhere), Nowhere)], Nowhere, Nowhere);

    public static TensorLiteral Literal(int[] dims, double[] values) => new(dims, values, Nowhere);

    public static DataDecl Data(string name, TensorLiteral value) => new(name, value, Nowhere);

    public static SpecDocument Document(IReadOnlyList<NodeDecl> network, IReadOnlyList<DataDecl> data, string? backwardFrom = null, TensorLiteral? grad = null) =>
        new("test.yaml", 1, "test", null, null, DType.Float64, [], data, [], network,
            backwardFrom is null ? null : new BackwardDecl(new NameRef(backwardFrom, Nowhere), grad, Nowhere),
            null, 1e-9, []);

    /// <summary>x = [1, -1, 1, 0] (a batch of one of four).</summary>
    public static DataDecl X => Data("x", Literal([4], [1, -1, 1, 0]));
}
