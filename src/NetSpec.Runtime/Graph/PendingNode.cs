using NetSpec.Parser.Model;
using NetSpec.Runtime.Ops;

namespace NetSpec.Runtime.Graph;

/// <summary>
/// A node whose op, inputs and attributes are bound, before it is ordered and its shape is
/// inferred. <see cref="Index"/> is its place among the bound nodes (declaration order);
/// <see cref="Output"/> is its value's index. <see cref="Ok"/> is false when a binding problem
/// was reported: the node is still ordered, so its consumers are, but its shape is not inferred.
/// </summary>
internal sealed record PendingNode(
    int Index, NodeDecl Decl, Op Op, int Output, List<(int Value, ArgScalar Ref)> Inputs,
    AttributeValues Attributes, string[] AttributeText, bool Ok);
