using NetSpec.Runtime;
using NetSpec.Runtime.Explain;
using NetSpec.Runtime.Explaining;
using NetSpec.Runtime.Trace;

namespace NetSpec.Tests.Explain;

/// <summary>
/// The explanation core: numbers as the notes write them, the renderers' parentheses, the lab07
/// lines checked by hand arithmetic, and for every spec that runs steps: every line that computes
/// an entry ends in the trace's value of that entry.
/// </summary>
[TestClass]
public sealed class ExplainCoreTests
{
    private static (ExplainDocument Doc, List<TraceEvent> Trace) Explain(string spec, ExplainOptions? options = null)
    {
        var loaded = NetSpecEngine.Load(Path.Combine(TestPaths.Specs, spec));
        Assert.IsTrue(loaded.Ok, spec);
        var explainer = new Explainer(loaded.Graph!, options);
        var trace = new CollectingTraceSink();
        NetSpecEngine.Run(loaded.Graph!, null, new TraceFanOut(trace, explainer));
        return (explainer.Finish(), trace.Events);
    }

    private static string[] TextLines(ExplainDocument doc) =>
        [.. ExplainWriter.Write(doc, ExplainFormat.Text).Split('\n').Select(l => l.Trim())];

    [TestMethod]
    [DataRow(24.0, false, "24", true)]
    [DataRow(-4.0, false, "-4", true)]
    [DataRow(0.9933071490757153, false, "0.9933071", false)]
    [DataRow(0.9799, false, "0.9799", true)]
    [DataRow(0.1, false, "0.1", true)]
    [DataRow(0.10000000149011612, true, "0.1", true)] // the float32 0.1 reads back from "0.1"
    [DataRow(0.10000000149011612, false, "0.1", false)] // the same number as a float64 does not
    [DataRow(0.00012345678, false, "0.0001234568", false)]
    [DataRow(0.7000000000000001, false, "0.7", true)] // 0.1 · 7: binary noise below the 15th digit is not rounding
    public void Numbers_are_integers_or_significant_digits(double v, bool single, string text, bool exact)
    {
        var n = NumberText.Of(v, 7, single);
        Assert.AreEqual(text, n.Mantissa);
        Assert.IsNull(n.Exponent);
        Assert.AreEqual(exact, n.Exact);
    }

    [TestMethod]
    public void Very_small_and_large_numbers_get_a_power_of_ten()
    {
        Assert.AreEqual(new NumberText("1.5", -7, true), NumberText.Of(1.5e-7, 7));
        Assert.AreEqual(new NumberText("1.068647", 13, false), NumberText.Of(Math.Exp(30), 7));
        Assert.AreEqual("1.5e-7", new TextMathRenderer(7).Render(M.Num(1.5e-7)));
        Assert.AreEqual("1.5 \\times 10^{-7}", new LatexMathRenderer(7).Render(M.Num(1.5e-7)));
    }

    [TestMethod]
    public void Text_renders_the_notes_arithmetic()
    {
        var r = new TextMathRenderer(7);
        var z1 = M.Sym("z", 1);
        Assert.AreEqual("z_1 = (1)(10) + (2)(5) + 4 = 24",
            r.Render(M.Eq(z1, M.Sum([M.Product(M.Num(1), M.Num(10)), M.Product(M.Num(2), M.Num(5)), M.Num(4)]), M.Num(24))));
        Assert.AreEqual("a + (-4) - (-2)", r.Render(M.Sum([M.Sym("a"), M.Num(-4)]) - M.Num(-2)));
        Assert.AreEqual("e^(10 - 10) / (e^(10 - 10) + e^-5)",
            r.Render(M.Exp(M.Num(10) - M.Num(10)) / M.Sum([M.Exp(M.Num(10) - M.Num(10)), M.Exp(M.Num(-5))])));
        Assert.AreEqual("dJ/dW_12", r.Render(M.D(M.Sym("W", 1, 2))));
        Assert.AreEqual("W1_{1,2}", r.Render(M.Sym("W1", 1, 2)), "a name ending in a digit separates its subscripts");
        Assert.AreEqual("W_{12,3}", r.Render(M.Sym("W", 12, 3)));
        Assert.AreEqual("x ≈ 0.3333333", r.Render(M.Eq(M.Sym("x"), M.Num(1.0 / 3))), "a number shown rounded follows ≈");
        Assert.AreEqual("(1)^2 + (-2)^2", r.Render(M.Sum([M.Pow(M.Num(1), M.Num(2)), M.Pow(M.Num(-2), M.Num(2))])));
        Assert.AreEqual("(2)(relu'(24))", r.Render(M.Product(M.Num(2), M.Call("relu'", M.Num(24)))));
    }

    [TestMethod]
    public void Latex_renders_fractions_derivatives_and_matrices()
    {
        var r = new LatexMathRenderer(7);
        Assert.AreEqual("\\frac{\\partial J}{\\partial z_{1}}", r.Render(M.D(M.Sym("z", 1))));
        Assert.AreEqual("\\begin{bmatrix} 1 & 2 \\\\ 3 & 4 \\end{bmatrix}_{2 \\times 2}",
            r.Render(new MathMatrix([[M.Num(1), M.Num(2)], [M.Num(3), M.Num(4)]]) { ShowSize = true }));
        Assert.AreEqual("W_{11}^{*} = 1 - \\left(0.001\\right)\\left(20.1\\right) = 0.9799",
            r.Render(M.Eq(new MathSymbol("W", [1, 1]) { Updated = true }, M.Num(1) - M.Product(M.Num(0.001), M.Num(20.1)), M.Num(0.9799))));
        Assert.AreEqual("\\frac{1}{1 + {e}^{-5}}", r.Render(M.Num(1) / (M.Num(1) + M.Exp(M.Num(-5)))));
        Assert.AreEqual("\\lambda", r.Render(M.Sym("lambda")));
        Assert.AreEqual("\\mathrm{logits\\_2}", r.Render(M.Sym("logits_2")));
    }

    /// <summary>The lab07 lines, each checked by hand: W = [[1, 2], [2, 5], [7, 3]], x = [10, 5], b = [4, 2, 1], M = [[4, 1, 2], [3, 4, 1]], c = [5, 1].</summary>
    [TestMethod]
    public void Lab07_is_written_out_as_the_notes_do()
    {
        var lines = TextLines(Explain("lab07.yaml").Doc);
        string[] expected =
        [
            "z_1 = (1)(10) + (2)(5) + 4 = 24",                 // 10 + 10 + 4
            "z_3 = (7)(10) + (3)(5) + 1 = 86",                 // 70 + 15 + 1
            "h_1 = relu(24) = 24",
            "o_2 = (3)(24) + (4)(47) + (1)(86) + 1 = 347",     // 72 + 188 + 86 + 1 (the notes' 441 is the erratum)
            "L = (1 / 2)((320 - 321)^2 + (347 - 345)^2) = (1 / 2)(1 + 4) = (1 / 2)(5) = 2.5",
            "J = 2.5 + 6.95 = 9.45",
            "dJ/do_1 = (1)(320 - 321) = -1",
            "dJ/dh_1 = (4)(-1) + (3)(2) = 2",                  // M^T dJ/do: 4(-1) + 3(2)
            "dJ/dz_3 = (0)(relu'(86)) = (0)(1) = 0",
            "dJ/dW_11 (via z) = (2)(10) = 20",
            "dJ/dW_11 = 0.1 + 20 = 20.1",                      // λ W_11 = 0.1 from S, plus 20 from z
            "dJ/dM_23 = 0.1 + 172 = 172.1",                    // λ M_23 = 0.1, dJ/do_2 h_3 = 2 · 86
            "W*_11 = 1 - (0.001)(20.1) = 0.9799",
            "c*_2 = 1 - (0.001)(2) = 0.998",
        ];
        foreach (var line in expected) CollectionAssert.Contains(lines, line, line);
    }

    [TestMethod]
    public void Softmax_is_written_with_its_shift_by_the_maximum()
    {
        var lines = TextLines(Explain("softmax-forward.yaml").Doc);
        CollectionAssert.Contains(lines, "o_1 = e^(10 - 10) / (e^(10 - 10) + e^(5 - 10)) = 1 / (1 + e^-5) ≈ 0.9933071");
        CollectionAssert.Contains(lines, "o_2 = e^(5 - 10) / (e^(10 - 10) + e^(5 - 10)) = e^-5 / (1 + e^-5) ≈ 0.006692851");
    }

    [TestMethod]
    public void A_large_tensor_is_explained_for_a_few_entries_and_says_so()
    {
        var (doc, _) = Explain("lab07.yaml", new ExplainOptions { MaxEntries = 2 });
        var text = ExplainWriter.Write(doc, ExplainFormat.Text);
        StringAssert.Contains(text, "z has 3 entries per sample: the first 2 are written out (--explain-entries N for more).");
        Assert.IsFalse(text.Contains("z_3 = ", StringComparison.Ordinal));
    }

    [TestMethod]
    public void A_batch_is_explained_sample_by_sample()
    {
        var text = ExplainWriter.Write(Explain("batch-of-two.yaml").Doc, ExplainFormat.Text);
        StringAssert.Contains(text, "sample 1 of 2:");
        StringAssert.Contains(text, "sample 2 of 2:");
        var one = ExplainWriter.Write(Explain("batch-of-two.yaml", new ExplainOptions { Sample = 2 }).Doc, ExplainFormat.Text);
        StringAssert.Contains(one, "sample 2 of 2:");
        Assert.IsFalse(one.Contains("sample 1 of 2:", StringComparison.Ordinal));
    }

    /// <summary>Every spec that runs steps (not the training ones).</summary>
    public static IEnumerable<object[]> StepSpecs() =>
        TestPaths.SpecFiles().Where(f => NetSpecEngine.Load(Path.Combine(TestPaths.Specs, (string)f[0])) is { Ok: true } l && l.Graph!.Spec.Training is null);

    [TestMethod]
    [DynamicData(nameof(StepSpecs))]
    public void Every_computed_entry_ends_in_the_trace_value(string spec)
    {
        var (doc, trace) = Explain(spec);
        var values = new Dictionary<(int Step, ExplainKind Kind, string Name), TraceEvent>();
        foreach (var ev in trace)
        {
            var kind = ev.Phase switch { TracePhase.Forward => ExplainKind.Forward, TracePhase.Backward => ExplainKind.Gradient, _ => ExplainKind.Updated };
            if (ev.Phase == TracePhase.Forward && ev.Op == "state") continue;
            values.TryAdd((ev.Step, kind, ev.Name), ev);
        }
        int checkedLines = 0;
        foreach (var step in doc.Steps)
            foreach (var block in step.Blocks)
                foreach (var eq in block.Items.OfType<ExplainEquation>())
                {
                    if (eq.Target is not { } t) continue;
                    Assert.IsTrue(values.TryGetValue((step.Step, t.Kind, t.Value), out var ev), $"{spec}: no {t.Kind} value {t.Value} in step {step.Step}");
                    double traced = ev.Values[t.Index];
                    Assert.AreEqual(traced, eq.Value, $"{spec}: {block.Title}: {t.Key(ev.Shape)}");
                    Assert.IsInstanceOfType<MathNumber>(eq.Equation.Sides[^1]);
                    Assert.AreEqual(traced, ((MathNumber)eq.Equation.Sides[^1]).Value);
                    checkedLines++;
                }
        Assert.IsTrue(checkedLines > 0, $"{spec}: no line computes an entry");
        foreach (var format in new[] { ExplainFormat.Text, ExplainFormat.Markdown, ExplainFormat.Latex })
            Assert.IsFalse(string.IsNullOrWhiteSpace(ExplainWriter.Write(doc, format)));
    }
}
