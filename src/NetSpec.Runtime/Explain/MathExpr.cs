namespace NetSpec.Runtime.Explain;

/// <summary>
/// A piece of written-out arithmetic, as the course notes write it: numbers, subscripted symbols,
/// sums, products, fractions, powers, function applications and small matrices. Ops build these
/// in their explanations (<see cref="Ops.Op.ExplainForward"/>); renderers turn them into console
/// text, LaTeX (Markdown, standalone documents) or MathML (the HTML report). The tree says what
/// the arithmetic is, never how it is typeset.
/// </summary>
public abstract record MathExpr
{
    /// <summary>Binding strength, for parentheses: sums 1, products 2, unary minus 3, powers 4, atoms 5.</summary>
    internal abstract int Precedence { get; }

    public static MathExpr operator +(MathExpr a, MathExpr b) => new MathSum([a, b]);
    public static MathExpr operator -(MathExpr a, MathExpr b) => new MathDifference(a, b);
    public static MathExpr operator *(MathExpr a, MathExpr b) => new MathProduct([a, b]);
    public static MathExpr operator /(MathExpr a, MathExpr b) => new MathFraction(a, b);
}

/// <summary>
/// A number computed or given, shown with <see cref="ExplainOptions.Digits"/> significant digits
/// unless it is a whole number (integers stay integers). <paramref name="Single"/>: the value is
/// a float32, so it counts as shown exactly when its digits read back as the same float32.
/// </summary>
public sealed record MathNumber(double Value, bool Single = false) : MathExpr
{
    internal override int Precedence => Value < 0 ? 2 : 5;
}

/// <summary>
/// A symbol: a value's name with 1-based subscripts (<c>z_1</c>, <c>W_12</c>), optionally marked
/// as updated (<c>W*</c>) or with a superscript such as a sample number.
/// </summary>
public sealed record MathSymbol(string Name, IReadOnlyList<int>? Index = null) : MathExpr
{
    /// <summary>The starred symbol of an updated value: W* = W - alpha dJ/dW.</summary>
    public bool Updated { get; init; }

    /// <summary>A hat, as in Adam's bias-corrected moments m̂ and v̂.</summary>
    public bool Hat { get; init; }

    /// <summary>An optional superscript written after the name, e.g. <c>t</c> in beta^t (rendered as a power).</summary>
    public string? Superscript { get; init; }

    internal override int Precedence => 5;
}

/// <summary>The derivative dJ/d(of): the notes' ∂J/∂z_1.</summary>
public sealed record MathGradient(MathExpr Of, string Objective = "J") : MathExpr
{
    /// <summary>
    /// The node a share of the gradient comes through, when several nodes add to it:
    /// dJ/dW_11 (via z) is z's part of dJ/dW_11.
    /// </summary>
    public string? Via { get; init; }

    internal override int Precedence => 5;
}

/// <summary>A function applied to arguments: relu(24), e^x is <see cref="MathPower"/>, log(0.993), max(10, 5).</summary>
/// <param name="Function">The function's name as written, e.g. <c>relu</c>, <c>relu'</c>, <c>log</c>, <c>tanh</c>.</param>
/// <param name="Arguments">What it is applied to.</param>
public sealed record MathCall(string Function, IReadOnlyList<MathExpr> Arguments) : MathExpr
{
    internal override int Precedence => 5;
}

/// <summary>a + b + c; a negative number among the terms is written as it is substituted: + (-4).</summary>
public sealed record MathSum(IReadOnlyList<MathExpr> Terms) : MathExpr
{
    internal override int Precedence => 1;
}

/// <summary>a - b.</summary>
public sealed record MathDifference(MathExpr Left, MathExpr Right) : MathExpr
{
    internal override int Precedence => 1;
}

/// <summary>A product: numbers in parentheses side by side, (1)(10), as the notes write them; symbols juxtaposed.</summary>
public sealed record MathProduct(IReadOnlyList<MathExpr> Factors) : MathExpr
{
    /// <summary>An explicit operator between the factors: "·" (a scalar times a matrix), "⊙" (element-wise), or null for juxtaposition.</summary>
    public string? Operator { get; init; }

    internal override int Precedence => 2;
}

/// <summary>A fraction, written as a stacked fraction in LaTeX and MathML, as a / b in text.</summary>
public sealed record MathFraction(MathExpr Numerator, MathExpr Denominator) : MathExpr
{
    internal override int Precedence => 2;
}

/// <summary>base^exponent: e^(10-10), (1)^2.</summary>
public sealed record MathPower(MathExpr Base, MathExpr Exponent) : MathExpr
{
    internal override int Precedence => 4;
}

/// <summary>The square root.</summary>
public sealed record MathRoot(MathExpr Of) : MathExpr
{
    internal override int Precedence => 5;
}

/// <summary>-x.</summary>
public sealed record MathNegation(MathExpr Of) : MathExpr
{
    internal override int Precedence => 3;
}

/// <summary>A bracketed matrix or column vector, with its size written under it (2 x 1) when <see cref="ShowSize"/>.</summary>
public sealed record MathMatrix(IReadOnlyList<IReadOnlyList<MathExpr>> Rows) : MathExpr
{
    public bool ShowSize { get; init; }

    /// <summary>The number of rows (a transposed symbol, x^T, is a <see cref="MathTranspose"/>, not a matrix).</summary>
    public int RowCount => Rows.Count;

    public int ColumnCount => Rows.Count == 0 ? 0 : Rows[0].Count;

    internal override int Precedence => 5;
}

/// <summary>x^T.</summary>
public sealed record MathTranspose(MathExpr Of) : MathExpr
{
    internal override int Precedence => 4;
}

/// <summary>
/// A sum written with its index, Σ_{j=1}^{d} body: formulas, not substitutions (those are
/// <see cref="MathSum"/>).
/// </summary>
public sealed record MathSigma(string Index, MathExpr From, MathExpr To, MathExpr Body) : MathExpr
{
    internal override int Precedence => 2;
}

/// <summary>A word or phrase inside a formula ("if", "otherwise", "from o").</summary>
public sealed record MathText(string Text) : MathExpr
{
    internal override int Precedence => 5;
}

/// <summary>An expression in explicit parentheses (the notes' (o_1 - y_1)^2 keeps them anyway).</summary>
public sealed record MathGroup(MathExpr Of) : MathExpr
{
    internal override int Precedence => 5;
}

/// <summary>
/// One line of arithmetic: sides joined by "=", or by "≈" before a number shown rounded.
/// The first side names what is computed (z_1), the last is its value.
/// </summary>
public sealed record MathEquation(IReadOnlyList<MathExpr> Sides);

/// <summary>Constructors that read like the notes: <c>M.Sym("z", 1)</c>, <c>M.Num(24)</c>, <c>M.Call("relu", x)</c>.</summary>
public static class M
{
    public static MathNumber Num(double v, bool single = false) => new(v, single);

    public static MathSymbol Sym(string name, params int[] index) => new(name, index.Length == 0 ? null : index);

    public static MathGradient D(MathExpr of) => new(of);

    public static MathCall Call(string function, params MathExpr[] args) => new(function, args);

    public static MathSum Sum(IEnumerable<MathExpr> terms) => new([.. terms]);

    public static MathProduct Product(params MathExpr[] factors) => new(factors);

    public static MathProduct Dot(params MathExpr[] factors) => new(factors) { Operator = "·" };

    public static MathProduct Hadamard(params MathExpr[] factors) => new(factors) { Operator = "⊙" };

    public static MathPower Pow(MathExpr b, MathExpr e) => new(b, e);

    public static MathPower Exp(MathExpr e) => new(new MathSymbol("e"), e);

    public static MathText Text(string text) => new(text);

    public static MathGroup Group(MathExpr e) => new(e);

    public static MathEquation Eq(params MathExpr[] sides) => new(sides);
}
