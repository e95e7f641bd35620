using System.Globalization;
using System.Text;

namespace NetSpec.Runtime.Explain;

/// <summary>How a number is shown: its digits, whether they are the exact value, and a power of ten if any.</summary>
/// <param name="Mantissa">The digits, e.g. <c>0.9933071</c>, <c>-4</c>, <c>1.5</c> (for 1.5e-7).</param>
/// <param name="Exponent">The power of ten for very small or large numbers, else null.</param>
/// <param name="Exact">Whether the shown digits read back as the value (in its own precision).</param>
public readonly record struct NumberText(string Mantissa, int? Exponent, bool Exact)
{
    /// <summary>
    /// Whole numbers as integers (24, not 24.0), others with <paramref name="digits"/> significant
    /// digits and no trailing zeros (0.9933071); a power of ten below 1e-5 or from 10^digits on. A float32
    /// (<paramref name="single"/>) is exact when the digits read back as the same float32, a float64
    /// when they read back as the same float64 or as the same 15 significant digits.
    /// </summary>
    public static NumberText Of(double v, int digits, bool single = false)
    {
        if (double.IsNaN(v)) return new("nan", null, true);
        if (double.IsInfinity(v)) return new(v > 0 ? "inf" : "-inf", null, true);
        if (v == 0) return new("0", null, true);
        if (Math.Abs(v) < 1e15 && v == Math.Round(v)) return new(v.ToString("0", CultureInfo.InvariantCulture), null, true);
        string g = v.ToString("G" + digits, CultureInfo.InvariantCulture);
        // Exact when the digits read back as the value, or differ from it only by binary noise
        // below the 15th digit (0.1 · 7 = 0.7000000000000001 is shown as 0.7, not ≈ 0.7).
        bool exact = single ? (float)double.Parse(g, CultureInfo.InvariantCulture) == (float)v
            : double.Parse(g, CultureInfo.InvariantCulture) == v || double.Parse(v.ToString("G15", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture) == double.Parse(g, CultureInfo.InvariantCulture);
        int e = g.IndexOf('E', StringComparison.Ordinal);
        if (e < 0) return new(g, null, exact);
        string mantissa = g[..e];
        int exponent = int.Parse(g[(e + 1)..], CultureInfo.InvariantCulture);
        if (exponent >= -5 && exponent < digits)
        {
            // .NET switches to E at exponent -5; write 0.00001234 out while it stays short.
            double rounded = double.Parse(g, CultureInfo.InvariantCulture);
            string plain = rounded.ToString("0." + new string('#', Math.Max(0, digits - exponent - 1)), CultureInfo.InvariantCulture);
            return new(plain, null, exact);
        }
        return new(mantissa, exponent, exact);
    }

    public bool Negative => Mantissa.StartsWith('-');
}

/// <summary>
/// Turns <see cref="MathExpr"/> trees into one notation. Subclasses say how each piece is written;
/// this class decides the parentheses (by precedence, and the notes' habits: every number in a
/// product is parenthesised, (1)(10); a negative number added or subtracted is too, + (-4)).
/// </summary>
public abstract class MathRenderer
{
    protected MathRenderer(int digits) => Digits = digits;

    /// <summary>Significant digits of numbers that are not whole.</summary>
    public int Digits { get; }

    /// <summary>One line of arithmetic; "≈" before a side that is a number shown rounded.</summary>
    public string Render(MathEquation equation)
    {
        ArgumentNullException.ThrowIfNull(equation);
        var sb = new StringBuilder();
        for (int i = 0; i < equation.Sides.Count; i++)
        {
            if (i > 0) sb.Append(IsRounded(equation.Sides[i]) ? Approx : EqualsSign);
            sb.Append(Render(equation.Sides[i]));
        }
        return sb.ToString();
    }

    /// <summary>Whether <paramref name="e"/> is a number, or a matrix of numbers, shown rounded.</summary>
    public bool IsRounded(MathExpr e) => e switch
    {
        MathNumber n => !NumberText.Of(n.Value, Digits, n.Single).Exact,
        MathMatrix m => m.Rows.Any(r => r.Any(IsRounded)),
        MathNegation g => IsRounded(g.Of),
        _ => false,
    };

    public string Render(MathExpr e) => e switch
    {
        MathNumber n => Number(NumberText.Of(n.Value, Digits, n.Single)),
        MathSymbol s => Symbol(s),
        MathGradient g => g.Via is { } via ? Via(Gradient(g.Objective, Render(g.Of)), via) : Gradient(g.Objective, Render(g.Of)),
        MathCall c => Call(c.Function, [.. c.Arguments.Select(Render)]),
        MathSum s => Join(s.Terms.Select((t, i) => i == 0 ? Child(t, 1) : (IsNegativeNumber(t) ? Paren(Render(t)) : Child(t, 2))), Plus),
        MathDifference d => Child(d.Left, 1) + Minus + (IsNegativeNumber(d.Right) ? Paren(Render(d.Right)) : Child(d.Right, 2)),
        MathProduct p => Product(p),
        MathFraction f => Fraction(f.Numerator, f.Denominator),
        MathPower p => Power(BaseText(p.Base), ExponentText(p.Exponent)),
        MathRoot r => Root(Render(r.Of)),
        MathNegation g => NegationSign + Child(g.Of, 3),
        MathMatrix m => Matrix(m),
        MathTranspose t => Transpose(Child(t.Of, 5)),
        MathSigma s => Sigma(s.Index, Render(s.From), Render(s.To), Child(s.Body, 2)),
        MathText t => Text(t.Text),
        MathGroup g => Paren(Render(g.Of)),
        _ => throw new ArgumentOutOfRangeException(nameof(e), e.GetType().Name),
    };

    // -0 is written 0, so it needs no parentheses.
    private static bool IsNegativeNumber(MathExpr e) => e is MathNumber n && n.Value < 0;

    /// <summary>An operand, in parentheses when it binds less than <paramref name="precedence"/>.</summary>
    protected string Child(MathExpr e, int precedence) => e.Precedence < precedence ? Paren(Render(e)) : Render(e);

    private string Product(MathProduct p)
    {
        if (p.Operator is { } op)
            return Join(p.Factors.Select(f => Child(f, 3)), Operator(op));
        var sb = new StringBuilder();
        for (int i = 0; i < p.Factors.Count; i++)
        {
            var f = p.Factors[i];
            // The notes' (1)(10): numbers, sums and derivatives are parenthesised in a product.
            bool paren = f is MathNumber || f.Precedence < 3 || (f is MathGradient && p.Factors.Count > 1 && ParenthesiseGradients)
                || (f is MathCall && p.Factors.Any(x => x is MathNumber));
            string text = paren ? Paren(Render(f)) : Render(f);
            if (i > 0 && !paren && !(p.Factors[i - 1] is MathNumber || p.Factors[i - 1].Precedence < 3)) sb.Append(Juxtapose);
            sb.Append(text);
        }
        return sb.ToString();
    }

    // The notes' (1)^2: a number raised to a power is parenthesised, as is anything but a symbol or call.
    private string BaseText(MathExpr b) => b is MathNumber || b.Precedence < 5 ? Paren(Render(b)) : Render(b);

    private string ExponentText(MathExpr e) => Render(e);

    protected static string Join(IEnumerable<string> parts, string separator) => string.Join(separator, parts);

    protected virtual string EqualsSign => " = ";
    protected abstract string Approx { get; }
    protected virtual string Plus => " + ";
    protected virtual string Minus => " - ";
    protected virtual string NegationSign => "-";

    /// <summary>Between juxtaposed symbols (W x).</summary>
    protected virtual string Juxtapose => " ";

    /// <summary>Whether a derivative in a product is parenthesised: (dJ/dz_1)(x_1) in text.</summary>
    protected virtual bool ParenthesiseGradients => true;

    protected abstract string Number(NumberText n);
    protected abstract string Symbol(MathSymbol s);
    protected abstract string Gradient(string objective, string of);

    /// <summary>A share of a gradient: the part that comes through node <paramref name="node"/>.</summary>
    protected abstract string Via(string gradient, string node);
    protected abstract string Call(string function, IReadOnlyList<string> args);
    protected abstract string Operator(string op);
    protected abstract string Fraction(MathExpr numerator, MathExpr denominator);
    protected abstract string Power(string b, string e);
    protected abstract string Root(string of);
    protected abstract string Matrix(MathMatrix m);
    protected abstract string Transpose(string of);
    protected abstract string Sigma(string index, string from, string to, string body);
    protected abstract string Text(string text);
    protected abstract string Paren(string inner);

    /// <summary>The subscript of a symbol: 1 or 12 (every index one digit), else 1,12.</summary>
    protected static string IndexText(MathSymbol s) =>
        s.Index is not { Count: > 0 } idx ? ""
        : idx.All(i => i is >= 0 and < 10) && !(idx.Count > 1 && char.IsAsciiDigit(s.Name[^1])) ? string.Concat(idx)
        : string.Join(",", idx);
}

/// <summary>Console text: z_1 = (1)(10) + (2)(5) + 4 = 24; e^(10-10) / (e^(10-10) + e^(5-10)).</summary>
public sealed class TextMathRenderer(int digits) : MathRenderer(digits)
{
    protected override string Approx => " ≈ ";

    protected override string Number(NumberText n) => n.Exponent is { } e ? $"{n.Mantissa}e{e}" : n.Mantissa;

    private static readonly Dictionary<string, string> Greek = new()
    {
        ["alpha"] = "α", ["beta"] = "β", ["beta1"] = "β1", ["beta2"] = "β2", ["gamma"] = "γ", ["delta"] = "δ", ["epsilon"] = "ε",
        ["lambda"] = "λ", ["mu"] = "μ", ["sigma"] = "σ", ["eta"] = "η", ["theta"] = "θ", ["tau"] = "τ", ["rho"] = "ρ",
    };

    protected override string Symbol(MathSymbol s)
    {
        var sb = new StringBuilder(Greek.GetValueOrDefault(s.Name, s.Name));
        if (s.Hat) sb.Append('\u0302');
        if (s.Updated) sb.Append('*');
        string idx = IndexText(s);
        if (idx.Length > 0) sb.Append('_').Append(idx.Contains(',', StringComparison.Ordinal) ? "{" + idx + "}" : idx);
        if (s.Superscript is { } sup) sb.Append('^').Append(sup);
        return sb.ToString();
    }

    protected override string Gradient(string objective, string of) => $"d{objective}/d{of}";

    protected override string Via(string gradient, string node) => $"{gradient} (via {node})";

    protected override string Call(string function, IReadOnlyList<string> args) => $"{function}({string.Join(", ", args)})";

    protected override string Operator(string op) => $" {op} ";

    protected override string Fraction(MathExpr numerator, MathExpr denominator) =>
        (numerator.Precedence < 3 ? Paren(Render(numerator)) : Render(numerator)) + " / "
        + (denominator.Precedence < 5 ? Paren(Render(denominator)) : Render(denominator));

    protected override string Power(string b, string e) =>
        e.Length == 1 || (e.StartsWith('-') && e.Skip(1).All(c => char.IsAsciiDigit(c) || c == '.')) || e.All(c => char.IsAsciiDigit(c) || c == '.')
            ? $"{b}^{e}" : $"{b}^({e})";

    protected override string Root(string of) => $"√({of})";

    protected override string Matrix(MathMatrix m) => "[" + string.Join("; ", m.Rows.Select(r => string.Join(", ", r.Select(Render)))) + "]";

    protected override string Transpose(string of) => of + "^T";

    protected override string Sigma(string index, string from, string to, string body) => $"Σ_{index}={from}..{to} {body}";

    protected override string Text(string text) => text;

    protected override string Paren(string inner) => $"({inner})";
}

/// <summary>LaTeX math (amsmath): \frac, bmatrix with the size under it, \partial, \operatorname.</summary>
public sealed class LatexMathRenderer(int digits) : MathRenderer(digits)
{
    private static readonly HashSet<string> Greek = ["alpha", "beta", "gamma", "delta", "epsilon", "lambda", "mu", "sigma", "eta", "theta", "tau", "rho"];
    private static readonly Dictionary<string, string> NumberedGreek = new() { ["beta1"] = "\\beta_1", ["beta2"] = "\\beta_2" };
    private static readonly HashSet<string> Builtin = ["log", "exp", "tanh", "max", "min", "sin", "cos"];

    protected override string Approx => " \\approx ";

    protected override string NegationSign => "-";

    protected override string Number(NumberText n) => n.Exponent is { } e ? $"{n.Mantissa} \\times 10^{{{e}}}" : n.Mantissa;

    /// <summary>A name in math: one letter as it is, a Greek name as its letter, longer names upright.</summary>
    public static string Name(string name)
    {
        if (Greek.Contains(name)) return "\\" + name;
        if (NumberedGreek.TryGetValue(name, out var g)) return g;
        if (name.Length == 1 && char.IsAsciiLetter(name[0])) return name;
        return "\\mathrm{" + Escape(name) + "}";
    }

    /// <summary>
    /// LaTeX's special characters escaped, for names and text; the symbols of the op formulas and
    /// notes (λ, Σ, ᵀ, ², ⊙, ...) as math, which pdflatex's utf8 input does not take as text
    /// (\ensuremath works in text and in math); any other character past Latin-1 as "?".
    /// </summary>
    public static string Escape(string s)
    {
        ArgumentNullException.ThrowIfNull(s);
        var sb = new StringBuilder();
        foreach (char c in s)
            sb.Append(c switch
            {
                '_' or '%' or '$' or '#' or '&' or '{' or '}' => "\\" + c,
                '\\' => "\\textbackslash{}",
                '^' => "\\^{}",
                '~' => "\\~{}",
                '\u0302' => "",
                _ when TextSymbols.TryGetValue(c, out var math) => "\\ensuremath{" + math + "}",
                _ when c > '\u00FF' => "?",
                _ => c.ToString(),
            });
        return sb.ToString();
    }

    private static readonly Dictionary<char, string> TextSymbols = new()
    {
        ['·'] = "\\cdot", ['Σ'] = "\\Sigma", ['⊙'] = "\\odot", ['²'] = "^{2}", ['³'] = "^{3}", ['√'] = "\\surd", ['½'] = "\\tfrac{1}{2}",
        ['ᵀ'] = "^{T}", ['ˣ'] = "^{x}", ['₀'] = "_{0}", ['÷'] = "\\div", ['±'] = "\\pm", ['≈'] = "\\approx", ['≥'] = "\\geq", ['≤'] = "\\leq",
        ['≠'] = "\\neq", ['←'] = "\\leftarrow", ['→'] = "\\rightarrow", ['∫'] = "\\int", ['∂'] = "\\partial", ['∞'] = "\\infty", ['∈'] = "\\in",
        ['×'] = "\\times", ['‖'] = "\\|", ['µ'] = "\\mu", ['α'] = "\\alpha", ['β'] = "\\beta", ['γ'] = "\\gamma", ['δ'] = "\\delta",
        ['ε'] = "\\varepsilon", ['η'] = "\\eta", ['θ'] = "\\theta", ['λ'] = "\\lambda", ['μ'] = "\\mu", ['π'] = "\\pi", ['ρ'] = "\\rho",
        ['σ'] = "\\sigma", ['τ'] = "\\tau", ['φ'] = "\\phi", ['Φ'] = "\\Phi", ['ψ'] = "\\psi", ['ω'] = "\\omega", ['Δ'] = "\\Delta",
    };

    protected override string Symbol(MathSymbol s)
    {
        string name = Name(s.Name);
        if (s.Hat) name = $"\\hat{{{name}}}";
        var sb = new StringBuilder(name);
        string idx = IndexText(s);
        if (idx.Length > 0) sb.Append("_{").Append(idx).Append('}');
        if (s.Updated || s.Superscript is not null)
            sb.Append("^{").Append(s.Updated ? "*" : "").Append(s.Superscript is { } sup ? Name(sup) : "").Append('}');
        return sb.ToString();
    }

    protected override string Gradient(string objective, string of) => $"\\frac{{\\partial {Name(objective)}}}{{\\partial {of}}}";

    protected override string Via(string gradient, string node) => $"\\left.{gradient}\\right|_{{\\text{{via }} {Name(node)}}}";

    protected override string Call(string function, IReadOnlyList<string> args)
    {
        string prime = function.EndsWith('\'') ? "'" : "";
        string f = function.TrimEnd('\'');
        string head = Builtin.Contains(f) ? "\\" + f : $"\\operatorname{{{Escape(f)}}}";
        return $"{head}{prime}\\left({string.Join(", ", args)}\\right)";
    }

    protected override string Operator(string op) => op switch
    {
        "·" => " \\cdot ",
        "⊙" => " \\odot ",
        "×" => " \\times ",
        _ => $" {op} ",
    };

    protected override bool ParenthesiseGradients => false;

    protected override string Fraction(MathExpr numerator, MathExpr denominator) => $"\\frac{{{Render(numerator)}}}{{{Render(denominator)}}}";

    protected override string Power(string b, string e) => $"{{{b}}}^{{{e}}}";

    protected override string Root(string of) => $"\\sqrt{{{of}}}";

    protected override string Matrix(MathMatrix m)
    {
        string body = string.Join(" \\\\ ", m.Rows.Select(r => string.Join(" & ", r.Select(Render))));
        string size = m.ShowSize ? $"_{{{m.RowCount} \\times {m.ColumnCount}}}" : "";
        return $"\\begin{{bmatrix}} {body} \\end{{bmatrix}}{size}";
    }

    protected override string Transpose(string of) => $"{of}^{{T}}";

    protected override string Sigma(string index, string from, string to, string body) => $"\\sum_{{{index}={from}}}^{{{to}}} {body}";

    protected override string Text(string text) => $"\\text{{{Escape(text)}}}";

    protected override string Paren(string inner) => $"\\left({inner}\\right)";
}
