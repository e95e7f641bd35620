using System.Text.RegularExpressions;
using NetSpec.Runtime;

namespace NetSpec.Tests.Docs;

/// <summary>
/// The C# example of docs/packaging.md is the body of <see cref="Example"/>, so it compiles with
/// the library as it is; a test checks the doc shows exactly these lines and another runs them.
/// </summary>
[TestClass]
public sealed partial class PackagingExampleTests
{
    private static int Example(TextWriter Console)
    {
        // begin example
        var spec = NetSpecEngine.Load("specs/lab07.yaml");         // parse and validate
        if (!spec.Ok)
        {
            foreach (var d in spec.Diagnostics.Items) Console.WriteLine(d);
            return 2;
        }
        var result = NetSpecEngine.Run(spec.Graph!);                // forward, backward, update
        foreach (var e in result.Expectations)
            Console.WriteLine($"{(e.Passed ? "ok  " : "FAIL")} {e.Expectation.Spec.Kind} {e.Expectation.Spec.Name.Name}");
        return result.AllPassed ? 0 : 1;
        // end example
    }

    private static string[] ExampleLines()
    {
        var source = File.ReadAllLines(Path.Combine(TestPaths.Root, "tests", "NetSpec.Tests", "Docs", "PackagingExampleTests.cs"));
        int begin = Array.FindIndex(source, l => l.Trim() == "// begin example"), end = Array.FindIndex(source, l => l.Trim() == "// end example");
        var body = source[(begin + 1)..end];
        int indent = body.Where(l => l.Trim().Length > 0).Min(l => l.Length - l.TrimStart().Length);
        return [.. body.Select(l => l.Length >= indent ? l[indent..] : l.TrimStart())];
    }

    [TestMethod]
    public void The_packaging_doc_shows_the_compiled_example_line_for_line()
    {
        var doc = File.ReadAllText(Path.Combine(TestPaths.Root, "docs", "packaging.md"));
        var block = CSharpBlock().Match(doc);
        Assert.IsTrue(block.Success, "docs/packaging.md has a ```csharp block");
        var lines = block.Groups[1].Value.Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
        Assert.AreEqual("using NetSpec.Runtime;", lines[0]);
        Assert.AreEqual("", lines[1]);
        CollectionAssert.AreEqual(ExampleLines(), lines[2..], string.Join("\n", lines));
        Assert.IsLessThanOrEqualTo(12, lines.Length, "a short example");
    }

    [TestMethod]
    public void The_example_runs_lab07_and_every_expectation_passes()
    {
        var cwd = Directory.GetCurrentDirectory();
        var output = new StringWriter();
        int code;
        try
        {
            Directory.SetCurrentDirectory(TestPaths.Root);
            code = Example(output);
        }
        finally
        {
            Directory.SetCurrentDirectory(cwd);
        }
        Assert.AreEqual(0, code, output.ToString());
        StringAssert.Contains(output.ToString(), "ok   Forward o");
        Assert.HasCount(18, output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [GeneratedRegex("```csharp\n(.*?)\n```", RegexOptions.Singleline)]
    private static partial Regex CSharpBlock();
}
