using System.Text.RegularExpressions;
using NetSpec.Cli;
using NetSpec.Cli.Report;
using NetSpec.Runtime;
using NetSpec.Tests.Cli;

namespace NetSpec.Tests.Report;

/// <summary><c>netspec report</c> and <c>run --explain --format html</c> without a browser: one self-contained file, written atomically.</summary>
[TestClass]
public sealed class ReportCommandTests
{
    private static string TempFolder()
    {
        string dir = Path.Combine(Path.GetTempPath(), "netspec-report-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    [TestMethod]
    public void The_report_is_one_file_that_fetches_nothing()
    {
        string dir = TempFolder();
        string path = Path.Combine(dir, "lab07.html");
        var (code, output, err) = CliRunner.Invoke("report", Path.Combine(TestPaths.Specs, "lab07.yaml"), "-o", path);
        Assert.AreEqual(ExitCodes.Success, code, err);
        StringAssert.Contains(output, "report: ");
        StringAssert.Contains(output, "expectations: 18 passed, 0 failed");
        string html = File.ReadAllText(path);
        // No external resource of any kind: no src or href attribute, no url() but to the page's own #fragments, no @import.
        Assert.IsFalse(Regex.IsMatch(html, "\\s(src|href)\\s*=", RegexOptions.IgnoreCase), "the report refers to another file");
        Assert.IsFalse(Regex.IsMatch(html, "url\\((?!#)|@import|<link|<iframe|<img", RegexOptions.IgnoreCase), "the report loads a resource");
        StringAssert.Contains(html, "Content-Security-Policy\" content=\"default-src 'none'");
        // Exactly the two script elements: the data and the code; the data holds no "</".
        Assert.AreEqual(2, Regex.Matches(html, "<script").Count);
        Assert.AreEqual(2, Regex.Matches(html, "</script>").Count);
        var data = Regex.Match(html, "<script type=\"application/json\" id=\"report-data\">(.*?)</script>", RegexOptions.Singleline);
        Assert.IsTrue(data.Success);
        Assert.IsFalse(data.Groups[1].Value.Contains("</", StringComparison.Ordinal));
        using var json = System.Text.Json.JsonDocument.Parse(data.Groups[1].Value);
        Assert.AreEqual(12, json.RootElement.GetProperty("values").GetArrayLength());
        Assert.AreEqual(1, json.RootElement.GetProperty("steps").GetArrayLength());
        Assert.AreEqual(12, Regex.Matches(html, "<g class=\"node [a-z]+\" data-node=").Count);
        Assert.AreEqual(18, Regex.Matches(html, "<tr class=\"pass\" data-passed=\"true\"").Count);
        Directory.Delete(dir, true);
    }

    [TestMethod]
    public void A_failed_expectation_is_marked_and_exits_1_with_the_report_written()
    {
        string dir = TempFolder();
        string spec = Path.Combine(dir, "relu.yaml");
        File.WriteAllText(spec, File.ReadAllText(Path.Combine(TestPaths.Specs, "relu-forward.yaml")).Replace("h: [0, 10, 5]", "h: [0, 10, 6]", StringComparison.Ordinal));
        string path = Path.Combine(dir, "out.html");
        var (code, _, err) = CliRunner.Invoke("report", spec, "-o", path, "--quiet");
        Assert.AreEqual(ExitCodes.ExpectationFailed, code, err);
        string html = File.ReadAllText(path);
        StringAssert.Contains(html, "<tr class=\"fail\" data-passed=\"false\" data-name=\"h\"");
        StringAssert.Contains(html, "class=\"verdict fail\"");
        Directory.Delete(dir, true);
    }

    [TestMethod]
    public void An_unwritable_output_leaves_no_file_and_exits_74()
    {
        string dir = TempFolder();
        // A regular file where the output's folder should be: it cannot be written.
        File.WriteAllText(Path.Combine(dir, "not-a-folder"), "");
        string path = Path.Combine(dir, "not-a-folder", "r.html");
        var (code, _, err) = CliRunner.Invoke("report", Path.Combine(TestPaths.Specs, "lab07.yaml"), "-o", path, "--quiet");
        Assert.AreEqual(ExitCodes.OutputError, code, err);
        StringAssert.StartsWith(err, "netspec: ");
        Assert.IsFalse(File.Exists(path));
        // A run refused before it starts leaves an existing report as it was.
        string kept = Path.Combine(dir, "kept.html");
        File.WriteAllText(kept, "old");
        var bad = CliRunner.Invoke("report", Path.Combine(TestPaths.Specs, "lab07.yaml"), "-o", kept, "--explain-nodes", "nope");
        Assert.AreEqual(ExitCodes.Usage, bad.Code);
        StringAssert.Contains(bad.Err, "--explain-nodes: the spec has no node or value 'nope'");
        Assert.AreEqual("old", File.ReadAllText(kept));
        Directory.Delete(dir, true);
    }

    [TestMethod]
    public void Run_explain_format_html_writes_the_same_report()
    {
        string dir = TempFolder();
        string a = Path.Combine(dir, "a.html"), b = Path.Combine(dir, "b.html");
        string spec = Path.Combine(TestPaths.Specs, "lab07.yaml");
        var run = CliRunner.Invoke("run", spec, "--explain", "--format", "html", "--explain-file", a, "--quiet");
        Assert.AreEqual(ExitCodes.Success, run.Code, run.Err);
        var report = CliRunner.Invoke("report", spec, "-o", b, "--quiet");
        Assert.AreEqual(ExitCodes.Success, report.Code, report.Err);
        Assert.AreEqual(File.ReadAllText(b), File.ReadAllText(a));
        var console = CliRunner.Invoke("run", spec, "--explain", "--format", "html");
        Assert.AreEqual(ExitCodes.Usage, console.Code);
        StringAssert.Contains(console.Err, "--format html writes a file: give --explain-file FILE");
        Directory.Delete(dir, true);
    }

    [TestMethod]
    public void A_training_report_has_its_curves_and_says_why_it_has_no_arithmetic()
    {
        string dir = TempFolder();
        string path = Path.Combine(dir, "iris.html");
        var (code, output, err) = CliRunner.Invoke("report", Path.Combine(TestPaths.Specs, "iris.yaml"), "-o", path);
        Assert.AreEqual(ExitCodes.Success, code, err);
        StringAssert.Contains(output, "epoch 60/60");
        string html = File.ReadAllText(path);
        StringAssert.Contains(html, "<polyline data-series=\"train_loss\"");
        StringAssert.Contains(html, "data-series=\"test_accuracy\"");
        StringAssert.Contains(html, "explanationAbsent");
        Directory.Delete(dir, true);
    }

    [TestMethod]
    public void The_layout_puts_every_node_right_of_its_inputs()
    {
        foreach (var file in new[] { "lab07.yaml", "lenet-digits.yaml", "gelu-elu-network.yaml" })
        {
            var graph = NetSpecEngine.Load(Path.Combine(TestPaths.Specs, file)).Graph!;
            var (boxes, width, height) = GraphSvg.Layout(graph);
            foreach (var n in graph.Nodes)
                foreach (int input in n.Inputs)
                    Assert.IsTrue(boxes[input].X + boxes[input].Width < boxes[n.Output].X, $"{file}: {graph.Values[input].Name} is not left of {n.Name}");
            // No two boxes overlap.
            for (int i = 0; i < boxes.Count; i++)
                for (int j = i + 1; j < boxes.Count; j++)
                {
                    var (p, q) = (boxes[i], boxes[j]);
                    bool apart = p.X + p.Width <= q.X || q.X + q.Width <= p.X || p.Y + p.Height <= q.Y || q.Y + q.Height <= p.Y;
                    Assert.IsTrue(apart, $"{file}: {p.Value.Name} overlaps {q.Value.Name}");
                }
            Assert.IsTrue(boxes.All(b => b.X >= 0 && b.Y >= 0 && b.X + b.Width <= width && b.Y + b.Height <= height), file);
        }
    }
}
