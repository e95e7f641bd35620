using System.Text.Json;
using NetSpec.Runtime.Ops;

namespace NetSpec.Tests.Cli;

/// <summary><c>netspec ops</c>: the list of ops, one op in full, and a misspelled name.</summary>
[TestClass]
public sealed class OpsCommandTests
{
    public static IEnumerable<object[]> Ops => OpRegistry.Names.Select(n => new object[] { n });

    [TestMethod]
    public void Netspec_ops_lists_every_op_under_its_category_with_its_formula()
    {
        var (code, output, err) = CliRunner.Invoke("ops");
        Assert.AreEqual(0, code, err);
        var lines = output.Split('\n');
        foreach (var op in OpRegistry.All)
        {
            int at = Array.FindIndex(lines, l => l.StartsWith("  " + op.Name + " ", StringComparison.Ordinal));
            Assert.IsGreaterThanOrEqualTo(0, at, $"no line for {op.Name}");
            StringAssert.EndsWith(lines[at], op.Formula);
            int header = Array.FindLastIndex(lines, at, l => l.Length > 0 && !l.StartsWith(' '));
            Assert.AreEqual(op.Category, lines[header], $"{op.Name} is not under its category");
        }
    }

    [TestMethod]
    [DynamicData(nameof(Ops))]
    public void Netspec_ops_name_shows_everything_about_the_op(string name)
    {
        var op = OpRegistry.Find(name)!;
        var (code, output, err) = CliRunner.Invoke("ops", name);
        Assert.AreEqual(0, code, err);
        Assert.AreEqual(OpCatalog.Text(op), output);
        foreach (var part in new[] { op.Summary, op.Formula, op.GradientFormula, op.ShapeRule, op.Example, "onnx:", op.Category })
            StringAssert.Contains(output, part, name);
        foreach (var s in op.Inputs) StringAssert.Contains(output, $"  {s.Name} ", name);
        foreach (var a in op.Attributes) StringAssert.Contains(output, $"  {a.Name} ", name);
        if (op.OnnxForms.Count == 0 && !op.WritesOwnOnnx)
            Assert.IsTrue(output.Split('\n').Any(l => l.StartsWith("onnx:", StringComparison.Ordinal) && l.EndsWith(" none", StringComparison.Ordinal)), output);
    }

    [TestMethod]
    public void The_attributes_show_type_range_and_default()
    {
        var (_, gemm, _) = CliRunner.Invoke("ops", "gemm");
        StringAssert.Contains(gemm, "trans_b  flag, default false: use Bᵀ: b is stored N x K");
        StringAssert.Contains(gemm, "alpha    number, default 1: α, the scale of the product");
        var (_, l2, _) = CliRunner.Invoke("ops", "l2_regularization");
        StringAssert.Contains(l2, "lambda   number >= 0, required:");
        StringAssert.Contains(l2, "a list of one or more values");
        var (_, relu, _) = CliRunner.Invoke("ops", "relu");
        StringAssert.Contains(relu, "kink:");
    }

    [TestMethod]
    public void A_misspelled_op_exits_64_with_a_suggestion()
    {
        var (code, output, err) = CliRunner.Invoke("ops", "relx");
        Assert.AreEqual(64, code);
        Assert.AreEqual("", output);
        StringAssert.Contains(err, "unknown op 'relx'; did you mean 'relu'?");
    }

    [TestMethod]
    public void An_op_nothing_is_close_to_exits_64_pointing_at_the_list()
    {
        var (code, _, err) = CliRunner.Invoke("ops", "convolution_transpose");
        Assert.AreEqual(64, code);
        Assert.DoesNotContain("did you mean", err);
        StringAssert.Contains(err, "netspec ops");
    }

    [TestMethod]
    public void Markdown_is_the_op_reference_section_and_json_parses()
    {
        var (code, md, _) = CliRunner.Invoke("ops", "gemm", "--format", "markdown");
        Assert.AreEqual(0, code);
        Assert.AreEqual(OpCatalog.Markdown(OpRegistry.Find("gemm")!), md);
        var (code2, json, _) = CliRunner.Invoke("ops", "--format", "json");
        Assert.AreEqual(0, code2);
        var names = JsonDocument.Parse(json).RootElement.EnumerateArray().Select(e => e.GetProperty("name").GetString()!).ToArray();
        CollectionAssert.AreEqual(OpRegistry.Names.ToArray(), names);
        var (code3, one, _) = CliRunner.Invoke("ops", "gemm", "--format", "json");
        Assert.AreEqual(0, code3);
        Assert.AreEqual(4, JsonDocument.Parse(one).RootElement.GetProperty("attributes").GetArrayLength());
    }

    [TestMethod]
    public void A_wrong_format_is_a_command_line_error()
    {
        var (code, _, _) = CliRunner.Invoke("ops", "--format", "html");
        Assert.AreEqual(64, code);
    }
}
