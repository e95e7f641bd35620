using System.Xml.Linq;
using NetSpec.Runtime;
using NetSpec.Runtime.Explain;
using NetSpec.Runtime.Explaining;
using static NetSpec.Runtime.Explain.M;

namespace NetSpec.Tests.Report;

/// <summary>The MathML of the HTML report: expected markup written by hand from MathML Core's elements.</summary>
[TestClass]
public sealed class MathMLRendererTests
{
    private static readonly MathMLRenderer R = new(7);

    // Parentheses without operator spacing: (1)(10) as the notes write it.
    private const string O = "<mo lspace=\"0\" rspace=\"0\">(</mo>", C = "<mo lspace=\"0\" rspace=\"0\">)</mo>";

    [TestMethod]
    public void A_sum_of_products_is_the_notes_parenthesised_numbers()
    {
        // z_1 = (1)(10) + (2)(5) + 4 = 24
        var eq = Eq(Sym("z", 1), Sum([Product(Num(1), Num(10)), Product(Num(2), Num(5)), Num(4)]), Num(24));
        Assert.AreEqual(
            "<msub><mi>z</mi><mn>1</mn></msub><mo>=</mo>"
            + $"<mrow>{O}<mn>1</mn>{C}</mrow><mrow>{O}<mn>10</mn>{C}</mrow><mo>+</mo>"
            + $"<mrow>{O}<mn>2</mn>{C}</mrow><mrow>{O}<mn>5</mn>{C}</mrow><mo>+</mo>"
            + "<mn>4</mn><mo>=</mo><mn>24</mn>",
            R.Render(eq));
    }

    [TestMethod]
    public void A_negative_term_is_parenthesised_and_a_rounded_value_follows_approx()
    {
        // h = 3 + (-4) ≈ 0.3333333 (the last side is a number shown rounded)
        var eq = Eq(Sym("h"), Num(3) + Num(-4), Num(1.0 / 3));
        Assert.AreEqual(
            $"<mi>h</mi><mo>=</mo><mn>3</mn><mo>+</mo><mrow>{O}<mrow><mo>−</mo><mn>4</mn></mrow>{C}</mrow><mo>≈</mo><mn>0.3333333</mn>",
            R.Render(eq));
    }

    [TestMethod]
    public void Fractions_powers_and_gradients_stack()
    {
        // o_1 = e^(10-10) / (e^(10-10) + e^(5-10))
        var e1 = Exp(Num(10) - Num(10));
        var f = new MathFraction(e1, e1 + Exp(Num(5) - Num(10)));
        string pow1 = "<msup><mrow><mi>e</mi></mrow><mrow><mn>10</mn><mo>−</mo><mn>10</mn></mrow></msup>";
        string pow2 = "<msup><mrow><mi>e</mi></mrow><mrow><mn>5</mn><mo>−</mo><mn>10</mn></mrow></msup>";
        Assert.AreEqual($"<mfrac><mrow>{pow1}</mrow><mrow>{pow1}<mo>+</mo>{pow2}</mrow></mfrac>", R.Render(f));
        Assert.AreEqual(
            "<mfrac><mrow><mo>∂</mo><mi>J</mi></mrow><mrow><mo>∂</mo><msub><mi>W</mi><mn>12</mn></msub></mrow></mfrac>",
            R.Render(D(Sym("W", 1, 2))));
    }

    [TestMethod]
    public void A_matrix_is_a_table_between_brackets_with_its_size()
    {
        var m = new MathMatrix([[Num(24)], [Num(47)]]) { ShowSize = true };
        Assert.AreEqual(
            "<msub><mrow><mo>[</mo><mtable><mtr><mtd><mn>24</mn></mtd></mtr><mtr><mtd><mn>47</mn></mtd></mtr></mtable><mo>]</mo></mrow>"
            + "<mrow><mn>2</mn><mo>×</mo><mn>1</mn></mrow></msub>",
            R.Render(m));
    }

    [TestMethod]
    public void Updated_symbols_greek_names_and_small_numbers()
    {
        Assert.AreEqual("<msubsup><mi>W</mi><mn>11</mn><mrow><mo>*</mo></mrow></msubsup>", R.Render(new MathSymbol("W", [1, 1]) { Updated = true }));
        Assert.AreEqual("<mi>λ</mi>", R.Render(Sym("lambda")));
        Assert.AreEqual("<mi mathvariant=\"normal\">relu</mi>", R.Render(Sym("relu")));
        Assert.AreEqual("<mrow><mn>1.5</mn><mo>×</mo><msup><mn>10</mn><mrow><mo>−</mo><mn>7</mn></mrow></msup></mrow>", R.Render(Num(1.5e-7)));
        Assert.AreEqual("<mtext>a &lt; b &amp; c</mtext>", R.Render(Text("a < b & c")));
    }

    /// <summary>Every equation of every worked spec's explanation is well-formed MathML (one XML element).</summary>
    [TestMethod]
    public void Every_explanation_of_the_worked_specs_is_well_formed()
    {
        int checkedLines = 0;
        foreach (var file in new[] { "lab07.yaml", "softmax-forward.yaml", "optimizer-adam.yaml", "optimizer-momentum.yaml", "batch-of-two.yaml", "conv2d.yaml" })
        {
            var graph = NetSpecEngine.Load(Path.Combine(TestPaths.Specs, file)).Graph!;
            var explainer = new Explainer(graph);
            NetSpecEngine.Run(graph, trace: explainer);
            foreach (var eq in explainer.Finish().Steps.SelectMany(s => s.Blocks).SelectMany(b => b.Items).OfType<ExplainEquation>())
            {
                string xml = R.Element(eq.Equation, block: true);
                var root = XElement.Parse(xml);
                Assert.AreEqual("math", root.Name.LocalName, xml);
                checkedLines++;
            }
        }
        Assert.IsTrue(checkedLines > 50, $"only {checkedLines} lines");
    }
}
