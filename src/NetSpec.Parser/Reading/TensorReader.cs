using NetSpec.Parser.Diagnostics;
using NetSpec.Parser.Model;
using NetSpec.Parser.Yaml;
using YamlDotNet.RepresentationModel;

namespace NetSpec.Parser.Reading;

/// <summary>
/// Tensor literals (data, parameter values, an assumed gradient, expected values): a number, a
/// list of numbers, or lists nested up to <see cref="TensorLiteral.MaxRank"/> deep. The first
/// entry at each depth sets that dimension; every other list at the same depth must match it.
/// Values are collected row-major (the last index varies fastest).
/// </summary>
/// <remarks>
/// The lists one level above the numbers are "rows", addressed by their 1-based indices joined
/// with '.' ("row 2" of a matrix, "row 1.3" of a rank-3 tensor); lists further out are "items"
/// ("item 2"). A matrix's messages are those of a table of rows.
/// </remarks>
internal sealed class TensorReader
{
    private readonly SpecReader _r;
    private readonly string _what;
    private readonly int[] _dims;
    private readonly bool _finite;
    private readonly List<double> _values = [];

    private TensorReader(SpecReader r, string what, int[] dims, bool finite)
    {
        _r = r;
        _what = what;
        _dims = dims;
        _finite = finite;
    }

    /// <summary>Reads a tensor literal; with <paramref name="finite"/> (expected values) an infinity or NaN is refused at its entry.</summary>
    public static TensorLiteral? Read(SpecReader r, YamlNode node, string what, bool finite = false)
    {
        switch (node)
        {
            case YamlScalarNode s:
                if (YamlNodes.TryNumber(s, out var x))
                {
                    if (finite && !double.IsFinite(x))
                    {
                        NotFinite(r, s, what, x);
                        return null;
                    }
                    r.CountElements(1, r.Span(s));
                    return new TensorLiteral([], [x], r.Span(s));
                }
                r.Error(Codes.NotANumber, s, $"{what} must be a number, a list or a list of rows, not {YamlNodes.Describe(s)}");
                return null;
            case YamlSequenceNode seq when seq.Children.Count == 0:
                r.Error(Codes.InvalidValue, seq, $"{what} is empty: a tensor needs at least one value");
                return null;
            case YamlSequenceNode seq:
            {
                if (Dims(r, seq, what) is not { } dims) return null;
                var reader = new TensorReader(r, what, dims, finite);
                bool ok = reader.List(seq, 0, []);
                if (dims[^1] == 0)
                {
                    r.Error(Codes.InvalidValue, seq, $"{what} has empty rows");
                    return null;
                }
                r.CountElements(reader._values.Count, r.Span(seq));
                return ok ? new TensorLiteral(dims, [.. reader._values], r.Span(seq)) : null;
            }
            default:
                r.Error(Codes.WrongType, node, $"{what} must be a number, a list or a list of rows, not {YamlNodes.Describe(node)}" +
                    (node is YamlMappingNode && what.StartsWith("data ", StringComparison.Ordinal) ? " (initializers are for parameters only)" : ""));
                return null;
        }
    }

    /// <summary>The dimensions the first entry at each depth sets; null (reported) past <see cref="TensorLiteral.MaxRank"/>.</summary>
    private static int[]? Dims(SpecReader r, YamlSequenceNode seq, string what)
    {
        var dims = new List<int>();
        for (YamlNode node = seq; node is YamlSequenceNode list; node = list.Children[0])
        {
            if (dims.Count == TensorLiteral.MaxRank)
            {
                r.Error(Codes.TensorRank, list, $"{what} nests lists {TensorLiteral.MaxRank + 1} deep: a tensor has at most {TensorLiteral.MaxRank} dimensions");
                return null;
            }
            dims.Add(list.Children.Count);
            if (list.Children.Count == 0) break;
        }
        return [.. dims];
    }

    private int Rank => _dims.Length;

    /// <summary>Reads the list at <paramref name="depth"/> (0: the tensor itself) whose indices are <paramref name="at"/>; false after a reported mistake.</summary>
    private bool List(YamlSequenceNode list, int depth, int[] at)
    {
        bool ok = true;
        for (int i = 0; i < list.Children.Count; i++)
        {
            var child = list.Children[i];
            if (depth == Rank - 1)
            {
                ok &= Value(child, at);
                continue;
            }
            int[] childAt = [.. at, i + 1];
            if (child is not YamlSequenceNode sub)
            {
                _r.Error(Codes.RaggedMatrix, child, $"{Name(childAt)} of {_what} is not a list: every {Kind(childAt.Length)} of {RankText} is a list");
                ok = false;
            }
            else if (sub.Children.Count != _dims[depth + 1])
            {
                _r.Error(Codes.RaggedMatrix, sub, $"{Name(childAt)} of {_what} has {sub.Children.Count} {Contents(childAt.Length)} but {Name(First(childAt.Length))} has {_dims[depth + 1]}");
                ok = false;
            }
            else ok &= List(sub, depth + 1, childAt);
        }
        return ok;
    }

    /// <summary>One value of the row <paramref name="row"/> (empty for a vector).</summary>
    private bool Value(YamlNode node, int[] row)
    {
        if (node is YamlScalarNode s && YamlNodes.TryNumber(s, out var v))
        {
            if (_finite && !double.IsFinite(v))
            {
                NotFinite(_r, s, _what, v);
                return false;
            }
            _values.Add(v);
            return true;
        }
        if (node is YamlSequenceNode)
            _r.Error(Codes.RaggedMatrix, node, row.Length == 0
                ? $"{_what} mixes numbers and rows: write every row as a list"
                : $"{Name(row)} of {_what} mixes numbers and lists: every row of {RankText} holds numbers");
        else
            _r.Error(Codes.NotANumber, node, $"{_what} has a value that is not a number: {YamlNodes.Describe(node)}");
        return false;
    }

    private static void NotFinite(SpecReader r, YamlScalarNode s, string what, double value) =>
        r.Error(Codes.ExpectNotFinite, s, $"{what} has a value that is not a finite number: {YamlNodes.Describe(s)} is " +
            $"{(double.IsNaN(value) ? "NaN" : value > 0 ? "infinity" : "-infinity")}; an expectation is a finite number, checked within a tolerance");

    /// <summary>"row 2", "row 1.3" or "item 2": a list by its indices.</summary>
    private string Name(int[] at) => $"{Kind(at.Length)} {string.Join(".", at)}";

    /// <summary>What the lists at a depth are called: rows hold the numbers, items hold lists.</summary>
    private string Kind(int depth) => depth == Rank - 1 ? "row" : "item";

    /// <summary>What the lists at a depth hold.</summary>
    private string Contents(int depth) => depth == Rank - 1 ? "values" : depth == Rank - 2 ? "rows" : "items";

    private static int[] First(int depth) => Enumerable.Repeat(1, depth).ToArray();

    private string RankText => Rank == 2 ? "a matrix" : $"a rank-{Rank} tensor";
}
