using System.Text;

namespace NetSpec.Runtime.Explain;

/// <summary>
/// MathML Core (rendered natively by Chromium and Firefox, no script needed) for the HTML report:
/// <c>mfrac</c> for fractions and derivatives, <c>msub</c>/<c>msup</c> for subscripts and powers,
/// <c>mtable</c> between bracket <c>mo</c>s for matrices, <c>mi</c>/<c>mn</c>/<c>mo</c> for the
/// pieces. <c>Render(MathEquation)</c> gives the content of a <c>&lt;math&gt;</c> element;
/// <see cref="Element"/> the whole element.
/// </summary>
public sealed class MathMLRenderer(int digits) : MathRenderer(digits)
{
    private static readonly Dictionary<string, string> Greek = new()
    {
        ["alpha"] = "α", ["beta"] = "β", ["gamma"] = "γ", ["delta"] = "δ", ["epsilon"] = "ε",
        ["lambda"] = "λ", ["mu"] = "μ", ["sigma"] = "σ", ["eta"] = "η", ["theta"] = "θ", ["tau"] = "τ", ["rho"] = "ρ",
    };

    private static readonly Dictionary<string, (string Letter, string Index)> NumberedGreek = new()
    {
        ["beta1"] = ("β", "1"),
        ["beta2"] = ("β", "2"),
    };

    /// <summary>A whole <c>&lt;math&gt;</c> element for one line of arithmetic; <paramref name="block"/>: display="block".</summary>
    public string Element(MathEquation equation, bool block = false) =>
        $"<math{(block ? " display=\"block\"" : "")}><mrow>{Render(equation)}</mrow></math>";

    /// <summary>Escapes <c>&lt; &gt; &amp; "</c> for XML text and attribute values.</summary>
    public static string Escape(string s)
    {
        ArgumentNullException.ThrowIfNull(s);
        var sb = new StringBuilder(s.Length);
        foreach (char c in s)
            sb.Append(c switch
            {
                '<' => "&lt;",
                '>' => "&gt;",
                '&' => "&amp;",
                '"' => "&quot;",
                _ => c.ToString(),
            });
        return sb.ToString();
    }

    protected override string EqualsSign => "<mo>=</mo>";
    protected override string Approx => "<mo>≈</mo>";
    protected override string Plus => "<mo>+</mo>";
    protected override string Minus => "<mo>−</mo>";
    protected override string NegationSign => "<mo>−</mo>";

    /// <summary>Juxtaposed symbols (W x): an invisible times, so the product reads as one.</summary>
    protected override string Juxtapose => "<mo>\u2062</mo>";

    protected override bool ParenthesiseGradients => false;

    protected override string Number(NumberText n)
    {
        string mantissa = n.Negative ? $"<mo>−</mo><mn>{n.Mantissa[1..]}</mn>" : $"<mn>{Escape(n.Mantissa)}</mn>";
        if (n.Exponent is not { } e) return n.Negative ? $"<mrow>{mantissa}</mrow>" : mantissa;
        string exp = e < 0 ? $"<mrow><mo>−</mo><mn>{-e}</mn></mrow>" : $"<mn>{e}</mn>";
        return $"<mrow>{mantissa}<mo>×</mo><msup><mn>10</mn>{exp}</msup></mrow>";
    }

    /// <summary>A name: one letter or a Greek name as an italic <c>mi</c>, longer names upright.</summary>
    private static string Name(string name)
    {
        if (Greek.TryGetValue(name, out var g)) return $"<mi>{g}</mi>";
        if (NumberedGreek.TryGetValue(name, out var ng)) return $"<msub><mi>{ng.Letter}</mi><mn>{ng.Index}</mn></msub>";
        return name.Length == 1 ? $"<mi>{Escape(name)}</mi>" : $"<mi mathvariant=\"normal\">{Escape(name)}</mi>";
    }

    protected override string Symbol(MathSymbol s)
    {
        string name = Name(s.Name);
        if (s.Hat) name = $"<mover accent=\"true\">{name}<mo>^</mo></mover>";
        string idx = IndexText(s);
        string? sup = s.Updated || s.Superscript is not null
            ? (s.Updated ? "<mo>*</mo>" : "") + (s.Superscript is { } t ? Name(t) : "")
            : null;
        string sub = idx.Length == 0 ? "" : $"<mn>{Escape(idx)}</mn>";
        if (sub.Length > 0 && sup is not null) return $"<msubsup>{name}{sub}<mrow>{sup}</mrow></msubsup>";
        if (sub.Length > 0) return $"<msub>{name}{sub}</msub>";
        if (sup is not null) return $"<msup>{name}<mrow>{sup}</mrow></msup>";
        return name;
    }

    protected override string Gradient(string objective, string of) =>
        $"<mfrac><mrow><mo>∂</mo>{Name(objective)}</mrow><mrow><mo>∂</mo>{of}</mrow></mfrac>";

    /// <summary>One node's share of a gradient: the derivative with a bar and "via node" under it, as LaTeX's \left. \right|_{...}.</summary>
    protected override string Via(string gradient, string node) =>
        $"<msub><mrow>{gradient}<mo stretchy=\"true\">|</mo></mrow><mrow><mtext>via\u00a0</mtext>{Name(node)}</mrow></msub>";

    protected override string Call(string function, IReadOnlyList<string> args)
    {
        string prime = function.EndsWith('\'') ? "<mo>′</mo>" : "";
        string f = function.TrimEnd('\'');
        string head = f.Length == 1 ? $"<mi>{Escape(f)}</mi>" : $"<mi mathvariant=\"normal\">{Escape(f)}</mi>";
        return $"<mrow>{head}{prime}<mo>\u2061</mo>{Open}{string.Join("<mo>,</mo>", args)}{Close}</mrow>";
    }

    protected override string Operator(string op) => $"<mo>{Escape(op)}</mo>";

    protected override string Fraction(MathExpr numerator, MathExpr denominator) =>
        $"<mfrac><mrow>{Render(numerator)}</mrow><mrow>{Render(denominator)}</mrow></mfrac>";

    protected override string Power(string b, string e) => $"<msup><mrow>{b}</mrow><mrow>{e}</mrow></msup>";

    protected override string Root(string of) => $"<msqrt>{of}</msqrt>";

    protected override string Matrix(MathMatrix m)
    {
        var sb = new StringBuilder("<mrow><mo>[</mo><mtable>");
        foreach (var row in m.Rows)
        {
            sb.Append("<mtr>");
            foreach (var cell in row) sb.Append("<mtd>").Append(Render(cell)).Append("</mtd>");
            sb.Append("</mtr>");
        }
        sb.Append("</mtable><mo>]</mo></mrow>");
        return m.ShowSize ? $"<msub>{sb}<mrow><mn>{m.RowCount}</mn><mo>×</mo><mn>{m.ColumnCount}</mn></mrow></msub>" : sb.ToString();
    }

    protected override string Transpose(string of) => $"<msup><mrow>{of}</mrow><mi>T</mi></msup>";

    protected override string Sigma(string index, string from, string to, string body) =>
        $"<mrow><munderover><mo>∑</mo><mrow>{Name(index)}<mo>=</mo>{from}</mrow><mrow>{to}</mrow></munderover>{body}</mrow>";

    protected override string Text(string text) => $"<mtext>{Escape(text)}</mtext>";

    /// <summary>Parentheses hug what they enclose, as the notes' (1)(10): no operator spacing around them.</summary>
    private const string Open = "<mo lspace=\"0\" rspace=\"0\">(</mo>", Close = "<mo lspace=\"0\" rspace=\"0\">)</mo>";

    protected override string Paren(string inner) => $"<mrow>{Open}{inner}{Close}</mrow>";
}
