using NetSpec.Cli.Worksheets;
using NetSpec.Runtime;
using NetSpec.Runtime.Explain;
using NetSpec.Runtime.Trace;

namespace NetSpec.Tests.Cli;

/// <summary>
/// Worksheets: nice-number variants of lab07 (every traced value an integer or a short decimal,
/// the key's values those of the written spec, both checked against lab07's maths computed here
/// by hand), and check-answers grading an answers file (right, one wrong entry named at its
/// place with its working, a malformed file with file:line:col errors).
/// </summary>
[TestClass]
[DoNotParallelize]
public sealed class WorksheetTests
{
    private static string Lab07 => Path.Combine(TestPaths.Specs, "lab07.yaml");
    private string _dir = "";

    [TestInitialize]
    public void Init()
    {
        _dir = Path.Combine(Path.GetTempPath(), "netspec-worksheet-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
    }

    [TestCleanup]
    public void Cleanup()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private string At(string name) => Path.Combine(_dir, name);

    /// <summary>Whether v is, up to float64 rounding (1e-12 relative), a number with at most <paramref name="decimals"/> decimals.</summary>
    private static bool ShortDecimal(double v, int decimals) =>
        Math.Abs(v - Math.Round(v, decimals, MidpointRounding.AwayFromZero)) <= 1e-12 * Math.Max(1, Math.Abs(v));

    [TestMethod]
    public void Lab07_variants_over_100_seeds_have_only_integers_and_short_decimals_and_match_lab07_by_hand()
    {
        var graph = NetSpecEngine.Load(Lab07).Graph!;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (ulong seed = 1; seed <= 100; seed++)
        {
            var v = NiceVariants.Draw(graph, seed, $"lab07-s{seed}-spec.yaml", out string? why);
            Assert.IsNotNull(v, $"seed {seed}: {why}");
            Assert.AreEqual(v.Yaml, NiceVariants.Draw(graph, seed, $"lab07-s{seed}-spec.yaml", out _)!.Yaml, $"seed {seed} draws the same variant twice");
            seen.Add(v.Yaml);
            var spec = v.Graph.Spec;
            foreach (var t in spec.Data.Select(d => d.Value).Concat(spec.Parameters.Select(p => p.Value!)))
                foreach (double x in t.Values) Assert.IsTrue(x == Math.Round(x) && Math.Abs(x) <= 1000, $"seed {seed}: {x} is not a small integer");
            var events = new CollectingTraceSink();
            var result = NetSpecEngine.Run(v.Graph, trace: events);
            Assert.IsNull(result.Fault);
            var hand = Lab07ByHand.Of(spec);
            int checkedValues = 0;
            foreach (var e in events.Events)
            {
                // Forward values and gradients at most 3 decimals; an update p - (0.001) g at most 3 more.
                int decimals = e.Phase == TracePhase.Update ? 6 : 3;
                var expected = hand.Get(e.Phase, e.Name);
                var actual = e.Values.ToArray();
                Assert.HasCount(expected.Length, actual, $"seed {seed}: {e.Phase} {e.Name}");
                for (int i = 0; i < actual.Length; i++)
                {
                    Assert.IsTrue(ShortDecimal(actual[i], decimals), $"seed {seed}: {e.Phase} {e.Name}[{i}] = {actual[i]} is not an integer or a short decimal");
                    Assert.AreEqual(expected[i], actual[i], 1e-9 * Math.Max(1, Math.Abs(expected[i])), $"seed {seed}: {e.Phase} {e.Name}[{i}]");
                    checkedValues++;
                }
            }
            Assert.IsGreaterThanOrEqualTo(55, checkedValues, $"seed {seed}: every value of lab07 is traced");
        }
        Assert.IsGreaterThanOrEqualTo(95, seen.Count, "the seeds draw different variants");
    }

    [TestMethod]
    public void A_nice_worksheet_writes_its_spec_and_a_key_whose_values_are_that_specs_run()
    {
        var (code, stdout, err) = CliRunner.Invoke("worksheet", Lab07, "--nice", "--seed", "7", "--variants", "2", "-o", At("exam.md"), "--answers-template");
        Assert.AreEqual(0, code, stdout + err);
        foreach (int seed in new[] { 7, 8 })
        {
            string specFile = At($"exam-s{seed}-spec.yaml");
            foreach (var f in new[] { $"exam-s{seed}.md", $"exam-s{seed}-key.md", $"exam-s{seed}-answers.yaml" }) Assert.IsTrue(File.Exists(At(f)), f);
            var loaded = NetSpecEngine.Load(specFile);
            Assert.IsTrue(loaded.Ok, string.Join("\n", loaded.Diagnostics.Items));
            var hand = Lab07ByHand.Of(loaded.Graph!.Spec);
            var run = ExplainedRun.Of(loaded.Graph!, new ExplainOptions());
            int targets = 0;
            foreach (var eq in run.Document.Steps.SelectMany(s => s.Blocks).SelectMany(b => b.Items).OfType<ExplainEquation>())
                if (eq.Target is { } t && eq.Value is double value)
                {
                    var phase = t.Kind switch { ExplainKind.Forward => TracePhase.Forward, ExplainKind.Gradient => TracePhase.Backward, _ => TracePhase.Update };
                    Assert.AreEqual(hand.Get(phase, t.Value)[t.Index], value, 1e-9, $"seed {seed}: the key's {t.Kind} {t.Value}[{t.Index}]");
                    targets++;
                }
            Assert.IsGreaterThanOrEqualTo(20, targets);
            string key = File.ReadAllText(At($"exam-s{seed}-key.md"));
            string sheet = File.ReadAllText(At($"exam-s{seed}.md"));
            foreach (var p in new[] { "W", "b", "M", "c" })
                foreach (double u in hand.Get(TracePhase.Update, p))
                {
                    string shown = NumberText.Of(u, 7).Mantissa;
                    StringAssert.Contains(key, shown, $"seed {seed}: the key shows updated {p} = {shown}");
                }
            StringAssert.Contains(sheet, "\\boxed{");
            Assert.DoesNotContain("\\boxed{", key);
            // The variant runs as written and its check-answers template names every asked value.
            StringAssert.Contains(File.ReadAllText(At($"exam-s{seed}-answers.yaml")), "  W: [[~, ~], [~, ~], [~, ~]]");
        }
        Assert.AreNotEqual(File.ReadAllText(At("exam-s7-spec.yaml")), File.ReadAllText(At("exam-s8-spec.yaml")));
    }

    /// <summary>lab07's expectations (hand arithmetic cross-checked with numpy and torch), written as a student's answers.</summary>
    private static string Lab07Answers() =>
        """
        forward:
          z: [24, 47, 86]
          h: [24, 47, 86]
          o: [320, 347]
          L: 2.5
          S: 6.95
          J: 9.45
        gradients:
          o: [-1, 2]
          h: [2, 7, 0]
          z: [2, 7, 0]
          W: [[20.1, 10.2], [70.2, 35.5], [0.7, 0.3]]
          b: [2, 7, 0]
          M: [[-23.6, -46.9, -85.8], [48.3, 94.4, 172.1]]
          c: [-1, 2]
          x: [16, 39]
        updated:
          W: [[0.9799, 1.9898], [1.9298, 4.9645], [6.9993, 2.9997]]
          b: [3.998, 1.993, 1]
          M: [[4.0236, 1.0469, 2.0858], [2.9517, 3.9056, 0.8279]]
          c: [5.001, 0.998]
        """;

    [TestMethod]
    public void A_correct_answers_file_passes()
    {
        File.WriteAllText(At("answers.yaml"), Lab07Answers());
        var (code, stdout, err) = CliRunner.Invoke("check-answers", Lab07, At("answers.yaml"));
        Assert.AreEqual(0, code, stdout + err);
        StringAssert.Contains(stdout, "answers: 55 right, 0 wrong");
    }

    [TestMethod]
    public void One_wrong_entry_is_named_at_its_place_with_its_working()
    {
        string text = Lab07Answers().Replace("o: [320, 347]", "o: [320, 441]", StringComparison.Ordinal);
        File.WriteAllText(At("answers.yaml"), text);
        var lines = text.Split('\n');
        int line = Array.FindIndex(lines, l => l.Contains("441", StringComparison.Ordinal)) + 1;
        int col = lines[line - 1].IndexOf("441", StringComparison.Ordinal) + 1;
        var (code, stdout, err) = CliRunner.Invoke("check-answers", Lab07, At("answers.yaml"));
        Assert.AreEqual(1, code, stdout + err);
        StringAssert.Contains(stdout, $"answers.yaml:{line}:{col}: wrong: o_2 = 441; the answer is 347");
        var report = stdout.Split('\n');
        int at = Array.FindIndex(report, l => l.Contains("wrong: o_2", StringComparison.Ordinal));
        // The working is the explanation's line for o_2 (or, where the op writes the value whole, its line for o).
        Assert.IsTrue(System.Text.RegularExpressions.Regex.IsMatch(report[at + 1], @"^    o.* = .*347"), report[at + 1]);
        StringAssert.Contains(stdout, "answers: 54 right, 1 wrong");
        Assert.AreEqual(1, report.Count(l => l.Contains(": wrong: ", StringComparison.Ordinal)));
    }

    [TestMethod]
    public void Partial_answers_by_entry_and_rounded_answers_are_graded()
    {
        File.WriteAllText(At("answers.yaml"), "forward:\n  z_2: 47\n  o: [~, 347]\ngradients:\n  W_12: 10.2\n  W[2,0]: 0.7\nupdated:\n  M_23: 0.828\n  M_22: 3.9\n");
        var (code, stdout, _) = CliRunner.Invoke("check-answers", Lab07, At("answers.yaml"));
        Assert.AreEqual(1, code, stdout);
        // 3.9 has two significant digits: not enough to count as 3.9056 rounded; 0.828 is 0.8279 rounded.
        StringAssert.Contains(stdout, "answers.yaml:9:9: wrong: M*_22 = 3.9; the answer is 3.9056");
        StringAssert.Contains(stdout, "    M*_22 = 4 - (0.001)(94.4) = 3.9056");
        StringAssert.Contains(stdout, "answers: 5 right, 1 wrong, 1 not answered");
    }

    [TestMethod]
    public void A_malformed_answers_file_gets_file_line_col_errors_and_nothing_is_graded()
    {
        File.WriteAllText(At("answers.yaml"), "forward:\n  zz: [1, 2, 3]\n  z: [24, abc, 86]\n  z_4: 3\ngradients:\n  W: [1, 2]\n  y: [1, 2]\nupdate:\n  W_12: 1.9898\n");
        var (code, stdout, err) = CliRunner.Invoke("check-answers", Lab07, At("answers.yaml"));
        Assert.AreEqual(2, code, stdout + err);
        StringAssert.Contains(err, "answers.yaml:2:3: error NS0701: the spec has no value 'zz'; did you mean 'z'?");
        StringAssert.Contains(err, "answers.yaml:3:11: error NS0701: z: 'abc' is not a number");
        StringAssert.Contains(err, "answers.yaml:4:3: error NS0701: 'z_4': z is 1x3 (entries z_1 to z_3)");
        StringAssert.Contains(err, "answers.yaml:6:6: error NS0701: W has 6 entries (3x2); the answer has 2");
        StringAssert.Contains(err, "answers.yaml:7:3: error NS0701: the run has no gradient of 'y' in step 1");
        StringAssert.Contains(err, "answers.yaml:8:1: error NS0701: unknown section 'update'; did you mean 'updated'?");
        StringAssert.Contains(err, "6 errors in the answers file; nothing graded");
        Assert.DoesNotContain("wrong:", stdout);
    }

    [TestMethod]
    public void Blanks_leave_the_givens_and_formulas_and_hide_the_working()
    {
        var (code, stdout, err) = CliRunner.Invoke("worksheet", Lab07, "--blank", "updated", "-o", At("ws.md"));
        Assert.AreEqual(0, code, stdout + err);
        string sheet = File.ReadAllText(At("ws.md")), key = File.ReadAllText(At("ws-key.md"));
        // The update's formula is a given; its lines are blank; the forward values are shown.
        StringAssert.Contains(sheet, "W^{*} = W - \\alpha");
        StringAssert.Contains(sheet, "W_{11}^{*} = \\boxed{");
        Assert.DoesNotContain("0.9799", sheet);
        StringAssert.Contains(key, "0.9799");
        StringAssert.Contains(sheet, "W = \\begin{bmatrix} 1 & 2 \\\\ 2 & 5 \\\\ 7 & 3 \\end{bmatrix}");
        Assert.AreEqual(64, CliRunner.Invoke("worksheet", Lab07, "--blank", "gradient", "-o", At("x.md")).Code);
        Assert.AreEqual(64, CliRunner.Invoke("worksheet", Lab07, "--seed", "3", "-o", At("x.md")).Code);
        var html = CliRunner.Invoke("worksheet", Lab07, "--format", "html", "-o", At("ws.html"));
        Assert.AreEqual(0, html.Code, html.Out + html.Err);
        string page = File.ReadAllText(At("ws.html"));
        StringAssert.Contains(page, "<span class=\"blank\"></span>");
        Assert.DoesNotContain("http", page);
        Assert.DoesNotContain("<script", page);
    }

    /// <summary>lab07's maths (z = Wx + b, h = relu(z), o = Mh + c, L = ½||o - y||², S = λ/2 (||W||² + ||M||²), J = L + S, one sgd step) written out here, independently of NetSpec's ops.</summary>
    private sealed class Lab07ByHand
    {
        private readonly Dictionary<(TracePhase, string), double[]> _v = [];

        public double[] Get(TracePhase phase, string name) => _v[(phase, name)];

        public static Lab07ByHand Of(NetSpec.Parser.Model.SpecDocument spec)
        {
            double[] D(string n) => spec.Data.First(d => d.Name == n).Value.Values;
            double[] P(string n) => spec.Parameters.First(p => p.Name == n).Value!.Values;
            double H(string n) => spec.Hyperparameters.First(h => h.Name == n).Value;
            double[] x = D("x"), y = D("y"), W = P("W"), b = P("b"), M = P("M"), c = P("c");
            double lambda = H("lambda"), alpha = H("alpha");
            var z = new double[3];
            for (int i = 0; i < 3; i++) z[i] = W[2 * i] * x[0] + W[2 * i + 1] * x[1] + b[i];
            var h = z.Select(v => Math.Max(v, 0)).ToArray();
            var o = new double[2];
            for (int i = 0; i < 2; i++) o[i] = M[3 * i] * h[0] + M[3 * i + 1] * h[1] + M[3 * i + 2] * h[2] + c[i];
            double L = 0.5 * ((o[0] - y[0]) * (o[0] - y[0]) + (o[1] - y[1]) * (o[1] - y[1]));
            double S = lambda / 2 * (W.Sum(w => w * w) + M.Sum(m => m * m));
            var dO = new[] { o[0] - y[0], o[1] - y[1] };
            var dH = new double[3];
            for (int j = 0; j < 3; j++) dH[j] = M[j] * dO[0] + M[3 + j] * dO[1];
            var dZ = dH.Select((g, j) => z[j] > 0 ? g : 0).ToArray();
            var dW = new double[6];
            for (int i = 0; i < 3; i++) for (int k = 0; k < 2; k++) dW[2 * i + k] = dZ[i] * x[k] + lambda * W[2 * i + k];
            var dM = new double[6];
            for (int i = 0; i < 2; i++) for (int j = 0; j < 3; j++) dM[3 * i + j] = dO[i] * h[j] + lambda * M[3 * i + j];
            var dX = new double[2];
            for (int k = 0; k < 2; k++) dX[k] = W[k] * dZ[0] + W[2 + k] * dZ[1] + W[4 + k] * dZ[2];
            var r = new Lab07ByHand();
            void F(string n, params double[] v) => r._v[(TracePhase.Forward, n)] = v;
            void G(string n, params double[] v) => r._v[(TracePhase.Backward, n)] = v;
            double[] Step(double[] p, double[] g) => [.. p.Select((v, i) => v - alpha * g[i])];
            F("x", x); F("y", y); F("W", W); F("b", b); F("M", M); F("c", c);
            F("z", z); F("h", h); F("o", o); F("L", L); F("S", S); F("J", L + S);
            G("J", 1); G("L", 1); G("S", 1); G("o", dO); G("h", dH); G("z", dZ); G("x", dX);
            G("W", dW); G("b", dZ); G("M", dM); G("c", dO);
            r._v[(TracePhase.Update, "W")] = Step(W, dW);
            r._v[(TracePhase.Update, "b")] = Step(b, dZ);
            r._v[(TracePhase.Update, "M")] = Step(M, dM);
            r._v[(TracePhase.Update, "c")] = Step(c, dO);
            return r;
        }
    }
}
