using NetSpec.Runtime.Ops;

namespace NetSpec.Tests.Docs;

/// <summary>The README and the op reference stay true to the code.</summary>
[TestClass]
public sealed class ReadmeTests
{
    private static string Read(string relative) => File.ReadAllText(Path.Combine(TestPaths.Root, relative));

    [TestMethod]
    public void The_readme_diagram_is_what_netspec_graph_prints_for_lab07()
    {
        var (code, stdout, _) = NetSpec.Tests.Cli.CliRunner.Invoke("graph", Path.Combine(TestPaths.Specs, "lab07.yaml"));
        Assert.AreEqual(0, code);
        var readme = Read("README.md");
        int start = readme.IndexOf("```mermaid\n", StringComparison.Ordinal);
        Assert.IsGreaterThanOrEqualTo(0, start, "the README has a mermaid block");
        start += "```mermaid\n".Length;
        int end = readme.IndexOf("```", start, StringComparison.Ordinal);
        Assert.AreEqual(stdout.TrimEnd('\n'), readme[start..end].TrimEnd('\n'));
    }

    [TestMethod]
    public void Every_op_is_in_the_readme_and_in_the_op_reference()
    {
        var readme = Read("README.md");
        var ops = Read("docs/ops.md");
        foreach (var name in OpRegistry.Names)
        {
            StringAssert.Contains(readme, $"`{name}`", $"README.md lacks op {name}");
            StringAssert.Contains(ops, $"`{name}`", $"docs/ops.md lacks op {name}");
        }
    }

    [TestMethod]
    public void Every_diagnostic_code_is_documented()
    {
        var doc = Read("docs/diagnostics.md");
        var codes = typeof(NetSpec.Parser.Diagnostics.Codes).GetFields()
            .Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!).ToList();
        Assert.IsNotEmpty(codes);
        foreach (var code in codes) StringAssert.Contains(doc, code, $"docs/diagnostics.md lacks {code}");
    }

    [TestMethod]
    public void The_readme_test_command_is_what_ci_runs()
    {
        StringAssert.Contains(Read("README.md"), "dotnet test");
        StringAssert.Contains(Read(".ci/run"), "dotnet test");
        StringAssert.Contains(Read("README.md"), "./netspec run specs/lab07.yaml");
    }
}
