using NetSpec.Runtime.Explain;
using NetSpec.Runtime.Graph;

namespace NetSpec.Cli.Worksheets;

/// <summary>
/// Which lines of an explanation a worksheet leaves blank (<c>--blank</c>). A phase
/// (<c>forward</c>, <c>gradients</c>, <c>updated</c>) blanks every line of it that is not a
/// formula, and every phase after it: the working of a later phase shows the earlier values
/// (relu'(24), W - (0.001)(20.1)), so it would give them away. A value's name blanks the lines
/// computing that value, in every phase, and nothing else. A blank line keeps its left side and
/// loses its working and its result, since the working gives the result away.
/// </summary>
internal sealed class Blanks
{
    public static readonly string[] Phases = ["forward", "gradients", "updated"];

    private readonly HashSet<ExplainKind> _kinds = [];
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

    private Blanks() { }

    /// <summary>Nothing blank: the answer key.</summary>
    public static Blanks None { get; } = new();

    public bool IsEmpty => _kinds.Count == 0 && _names.Count == 0;

    /// <summary>Reads <c>--blank forward,gradients,updated|NAME,...</c>; the error names the unknown word.</summary>
    public static Blanks Parse(string text, NetworkGraph graph, out string? error)
    {
        var b = new Blanks();
        error = null;
        int first = int.MaxValue;
        foreach (var word in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int phase = Array.IndexOf(Phases, word);
            if (phase >= 0) first = Math.Min(first, phase);
            else if (graph.Find(word) is not null) b._names.Add(word);
            else
            {
                var close = Parser.Diagnostics.Suggest.Closest(word, Phases.Concat(graph.Values.Select(v => v.Name)));
                error = $"--blank: '{word}' is neither forward, gradients, updated nor a value of the spec" + (close is null ? "" : $"; did you mean '{close}'?");
                return b;
            }
        }
        for (int k = first; k < Phases.Length; k++) b._kinds.Add((ExplainKind)k);
        if (b.IsEmpty) error = "--blank: name at least one of forward, gradients, updated or a value of the spec";
        return b;
    }

    /// <summary>The kind of value the lines of a phase compute.</summary>
    public static ExplainKind KindOf(ExplainPhase phase) => phase switch
    {
        ExplainPhase.Forward => ExplainKind.Forward,
        ExplainPhase.Backward => ExplainKind.Gradient,
        _ => ExplainKind.Updated,
    };

    /// <summary>The value a line's left side names (z in z_1 = ..., W in dJ/dW = ...), or null.</summary>
    public static string? FirstName(ExplainEquation eq) => eq.Equation.Sides.Count == 0 ? null : Name(eq.Equation.Sides[0]);

    private static string? Name(MathExpr e) => e switch
    {
        MathSymbol s => s.Name,
        MathGradient g => Name(g.Of),
        _ => null,
    };

    /// <summary>Whether the line is left blank on the worksheet (a formula never is).</summary>
    public bool IsBlank(ExplainBlock block, ExplainEquation eq)
    {
        if (eq.IsFormula || eq.Equation.Sides.Count < 2) return false;
        var kind = eq.Target?.Kind ?? KindOf(block.Phase);
        if (_kinds.Contains(kind)) return true;
        string? name = eq.Target?.Value ?? FirstName(eq);
        return name is not null && _names.Contains(name);
    }

    /// <summary>Whether an answer of this kind for this value is asked for.</summary>
    public bool Asks(ExplainKind kind, string name) => _kinds.Contains(kind) || _names.Contains(name);
}
