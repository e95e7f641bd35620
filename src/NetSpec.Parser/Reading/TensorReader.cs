using NetSpec.Parser.Diagnostics;
using NetSpec.Parser.Model;
using NetSpec.Parser.Yaml;
using YamlDotNet.RepresentationModel;

namespace NetSpec.Parser.Reading;

/// <summary>Tensor literals: data, parameter values, an assumed gradient, expected values.</summary>
internal static class TensorReader
{
    /// <summary>A tensor literal: a number, a list of numbers, or a list of equal-length rows.</summary>
    public static TensorLiteral? Read(SpecReader r, YamlNode node, string what)
    {
        switch (node)
        {
            case YamlScalarNode s:
                if (YamlNodes.TryNumber(s, out var x))
                {
                    r.CountElements(1, r.Span(s));
                    return new TensorLiteral([], [x], r.Span(s));
                }
                r.Error(Codes.NotANumber, s, $"{what} must be a number, a list or a list of rows, not {YamlNodes.Describe(s)}");
                return null;
            case YamlSequenceNode seq when seq.Children.Count == 0:
                r.Error(Codes.InvalidValue, seq, $"{what} is empty: a tensor needs at least one value");
                return null;
            case YamlSequenceNode seq when seq.Children[0] is YamlSequenceNode:
            {
                int rows = seq.Children.Count;
                int cols = -1;
                var values = new List<double>();
                bool ok = true;
                for (int i = 0; i < rows; i++)
                {
                    if (seq.Children[i] is not YamlSequenceNode row)
                    {
                        r.Error(Codes.RaggedMatrix, seq.Children[i], $"row {i + 1} of {what} is not a list: every row of a matrix is a list");
                        ok = false;
                        continue;
                    }
                    if (cols < 0) cols = row.Children.Count;
                    else if (row.Children.Count != cols)
                    {
                        r.Error(Codes.RaggedMatrix, row, $"row {i + 1} of {what} has {row.Children.Count} values but row 1 has {cols}");
                        ok = false;
                        continue;
                    }
                    foreach (var cell in row.Children)
                    {
                        if (cell is YamlScalarNode cs && YamlNodes.TryNumber(cs, out var cv)) values.Add(cv);
                        else if (cell is YamlSequenceNode)
                        {
                            r.Error(Codes.TensorRank, cell, $"{what} nests lists three deep: tensors have at most two dimensions (rows of values)");
                            return null;
                        }
                        else
                        {
                            r.Error(Codes.NotANumber, cell, $"{what} has a value that is not a number: {YamlNodes.Describe(cell)}");
                            ok = false;
                        }
                    }
                }
                if (cols == 0)
                {
                    r.Error(Codes.InvalidValue, seq, $"{what} has empty rows");
                    return null;
                }
                r.CountElements(values.Count, r.Span(seq));
                return ok ? new TensorLiteral([rows, cols], [.. values], r.Span(seq)) : null;
            }
            case YamlSequenceNode seq:
            {
                var values = new double[seq.Children.Count];
                bool ok = true;
                for (int i = 0; i < values.Length; i++)
                {
                    var cell = seq.Children[i];
                    if (cell is YamlScalarNode cs && YamlNodes.TryNumber(cs, out var cv)) values[i] = cv;
                    else if (cell is YamlSequenceNode)
                    {
                        r.Error(Codes.RaggedMatrix, cell, $"{what} mixes numbers and rows: write every row as a list");
                        ok = false;
                    }
                    else
                    {
                        r.Error(Codes.NotANumber, cell, $"{what} has a value that is not a number: {YamlNodes.Describe(cell)}");
                        ok = false;
                    }
                }
                r.CountElements(values.Length, r.Span(seq));
                return ok ? new TensorLiteral([values.Length], values, r.Span(seq)) : null;
            }
            default:
                r.Error(Codes.WrongType, node, $"{what} must be a number, a list or a list of rows, not {YamlNodes.Describe(node)}" +
                    (node is YamlMappingNode && what.StartsWith("data ", StringComparison.Ordinal) ? " (initializers are for parameters only)" : ""));
                return null;
        }
    }
}
