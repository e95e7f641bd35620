using NetSpec.Parser;
using NetSpec.Parser.Diagnostics;
using NetSpec.Parser.Model;
using NetSpec.Runtime.Ops;

namespace NetSpec.Runtime.Graph;

/// <summary>
/// Shape inference in node order: each node's op checks its inputs and attributes and gives its
/// output shape (the sealed <see cref="Op.Setup"/>), the spec's elements are kept under the
/// limit, and a target that must be a probability distribution is checked row by row. Makes the
/// runtime nodes. A node whose inputs have no shape (an earlier problem) is skipped, unreported.
/// </summary>
internal sealed class ShapeInference(ValueTable values, DiagnosticBag d, long maxElements)
{
    /// <summary>Every value's shape, null where it could not be inferred.</summary>
    public Shape?[] Shapes { get; } = new Shape?[values.Count];

    /// <summary>Infers the shape of every node of <paramref name="order"/> (null: the nodes could not be ordered) and makes the runtime nodes.</summary>
    public List<GraphNode> Run(List<PendingNode>? order)
    {
        long elements = 0;
        foreach (var v in values.All)
            if (v.Kind != ValueKind.Node)
            {
                Shapes[v.Index] = v.Shape;
                elements += v.Shape.Length;
            }
        var nodes = new List<GraphNode>(order?.Count ?? 0);
        if (order is null) return nodes;
        bool tooMany = false;
        foreach (var pn in order)
        {
            if (!pn.Ok) continue;
            int count = pn.Inputs.Count;
            var inShapes = new Shape[count];
            var names = new string[count];
            var inputs = new int[count];
            bool shaped = true;
            for (int i = 0; i < count; i++)
            {
                int vi = pn.Inputs[i].Value;
                inputs[i] = vi;
                names[i] = values[vi].Name;
                if (Shapes[vi] is { } s) inShapes[i] = s;
                else shaped = false;
            }
            if (!shaped) continue;
            ShapeResult result;
            try
            {
                result = pn.Op.Setup(inShapes, names, pn.Attributes);
            }
            catch (ArgumentOutOfRangeException)
            {
                // Shape refuses more than int.MaxValue elements.
                d.Error(Codes.TooManyElements, pn.Decl.NameSpan,
                    $"{pn.Op.Name} '{pn.Decl.Name}': its output would have more than {int.MaxValue} elements");
                continue;
            }
            if (result.Shape is null)
            {
                d.Error(Codes.ShapeMismatch, pn.Decl.NameSpan, $"{pn.Op.Name} '{pn.Decl.Name}': {result.Error}");
                continue;
            }
            elements += result.Shape.Length;
            if (elements > maxElements)
            {
                if (!tooMany)
                    d.Error(Codes.TooManyElements, pn.Decl.NameSpan,
                        $"{pn.Op.Name} '{pn.Decl.Name}': its output is {result.Shape}, which takes the spec past {maxElements} tensor elements (--max-elements raises the limit)");
                tooMany = true;
                continue;
            }
            Shapes[pn.Output] = result.Shape;
            values[pn.Output] = values[pn.Output] with { Shape = result.Shape, Producer = nodes.Count };
            CheckDistributions(pn, inShapes);
            CheckClassIndices(pn, inShapes);
            nodes.Add(new GraphNode(nodes.Count, pn.Decl.Name, pn.Op, inputs, pn.Output, pn.Attributes, pn.Decl.Span)
            {
                AttributeText = pn.AttributeText,
                Expression = Expression(pn, names),
            });
        }
        return nodes;
    }

    /// <summary>"linear(x, W, b)" or "l2_regularization(W, M, lambda = 0.1)": the inputs' names, then each attribute as "name = value".</summary>
    private static string Expression(PendingNode pn, string[] names)
    {
        var text = pn.AttributeText;
        if (text.Length == 0) return $"{pn.Op.Name}({string.Join(", ", names)})";
        var args = new List<string>(names.Length + text.Length);
        args.AddRange(names);
        for (int k = 0; k < text.Length; k++)
        {
            var a = pn.Op.Attributes[k];
            // An attribute whose default is the op's usual form (softmax's axis -1) is left out while it has it.
            if (!a.ShowDefault && a.IsDefault(pn.Attributes[k])) continue;
            args.Add(text[k].StartsWith(a.Name + " = ", StringComparison.Ordinal) ? text[k] : $"{a.Name} = {text[k]}");
        }
        return $"{pn.Op.Name}({string.Join(", ", args)})";
    }

    /// <summary>
    /// Checks that inline data given to a distribution input (cross-entropy targets) holds one
    /// probability distribution per line along the op's class axis (<see cref="Op.DistributionAxis"/>,
    /// the last unless the node says otherwise), so a tensor of any rank has as many rows as the
    /// product of its other axes. Only literal data is checked; the first bad row is reported.
    /// </summary>
    private void CheckDistributions(PendingNode pn, Shape[] shapes)
    {
        for (int s = 0; s < pn.Op.Inputs.Count; s++)
        {
            if (s >= pn.Inputs.Count || pn.Op.InputDomain(s, shapes, pn.Attributes) != ValueDomain.Distribution) continue;
            var (vi, r) = pn.Inputs[s];
            var v = values[vi];
            if (v.Kind != ValueKind.Data || v.Literal is null) continue;
            int axis = v.Shape.Rank == 0 ? 0 : pn.Op.DistributionAxis(pn.Attributes, v.Shape.Rank);
            var (outer, size, inner) = Axes.Split(v.Shape, axis);
            for (int row = 0; row < outer * inner; row++)
            {
                int o = row / inner, i = row % inner;
                double sum = 0;
                bool negative = false;
                for (int j = 0; j < size; j++)
                {
                    double y = v.Literal[(o * size + j) * inner + i];
                    negative |= y < 0 || !double.IsFinite(y);
                    sum += y;
                }
                if (negative || Math.Abs(sum - 1) > 1e-6)
                {
                    string where = v.Shape.Rank == 0 || axis == v.Shape.Rank - 1 ? RowName(v.Shape, row) : LineName(v.Shape, axis, row);
                    d.Error(Codes.NotDistribution, r.Span,
                        $"{pn.Op.Name} '{pn.Decl.Name}': target '{v.Name}' row {where} is not a probability distribution " +
                        $"(values must be >= 0 and sum to 1; it sums to {Format.Number(sum)})");
                    return;
                }
            }
        }
    }

    /// <summary>
    /// Checks that inline class-index labels (nll_loss, softmax_cross_entropy with labels) are
    /// whole numbers 0..C-1, C the size of the scores (the first input) along the op's class axis,
    /// or the node's ignore_index. Only literal data and parameters are checked; the first bad
    /// label is reported.
    /// </summary>
    private void CheckClassIndices(PendingNode pn, Shape[] shapes)
    {
        for (int s = 0; s < pn.Inputs.Count; s++)
        {
            if (pn.Op.InputDomain(s, shapes, pn.Attributes) != ValueDomain.ClassIndex) continue;
            var (vi, r) = pn.Inputs[s];
            var v = values[vi];
            if (v.Kind == ValueKind.Node || v.Literal is null) continue;
            var scores = shapes[0];
            int classes = scores.Rank == 0 ? 1 : scores[pn.Op.DistributionAxis(pn.Attributes, scores.Rank)];
            int k = pn.Op.AttributeIndex("ignore_index");
            int? ignore = k >= 0 ? pn.Attributes.Integer(k) : null;
            for (int i = 0; i < v.Literal.Length; i++)
            {
                double y = v.Literal[i];
                if (ignore == y || (y >= 0 && y < classes && y == Math.Floor(y))) continue;
                d.Error(Codes.NotClassIndex, r.Span,
                    $"{pn.Op.Name} '{pn.Decl.Name}': label '{v.Name}' item {i + 1} is {Format.Number(y)}, which is neither a class index 0..{classes - 1} " +
                    $"(the {classes} classes of '{values[pn.Inputs[0].Value].Name}'){(ignore is { } ii ? $" nor ignore_index {ii}" : "")}");
                return;
            }
        }
    }

    /// <summary>
    /// A row's name, counted from 1: "3" for a matrix or vector; for rank 3 or more its index
    /// along every axis but the last, e.g. "(2, 1)" for the first row of the second matrix of a
    /// 2x3x4 tensor.
    /// </summary>
    internal static string RowName(Shape shape, int row)
    {
        if (shape.Rank <= 2) return (row + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var index = new int[shape.Rank - 1];
        for (int axis = shape.Rank - 2; axis >= 0; axis--)
        {
            index[axis] = row % shape[axis] + 1;
            row /= shape[axis];
        }
        return $"({string.Join(", ", index)})";
    }

    /// <summary>A line along <paramref name="axis"/> named by its 1-based index on every other axis, e.g. "(1, :, 2)".</summary>
    private static string LineName(Shape shape, int axis, int line)
    {
        var parts = new string[shape.Rank];
        for (int k = shape.Rank - 1; k >= 0; k--)
        {
            if (k == axis) { parts[k] = ":"; continue; }
            parts[k] = (line % shape[k] + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
            line /= shape[k];
        }
        return $"({string.Join(", ", parts)})";
    }
}
