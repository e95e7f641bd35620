using NetSpec.Runtime.Ops;

namespace NetSpec.Tests.Docs;

/// <summary>
/// The files generated from the op definitions are current: each generated region of the docs
/// holds exactly what the generator prints, and docs/netspec.schema.json is what
/// <c>netspec schema</c> prints. When one is not, run tools/update-generated.sh.
/// </summary>
[TestClass]
public sealed class GeneratedDocsTests
{
    private static string Read(string relative) => File.ReadAllText(Path.Combine(TestPaths.Root, relative));

    public static IEnumerable<object[]> Files => GeneratedRegions.Files.Select(f => new object[] { f });

    [TestMethod]
    [DynamicData(nameof(Files))]
    public void Each_generated_region_is_what_the_generator_prints(string file)
    {
        var text = Read(file);
        var now = GeneratedRegions.Update(text, OpRegistry.All);
        if (now != text)
            Assert.Fail($"{file} is out of date with the op definitions: run {GeneratedRegions.UpdateCommand} and commit the result. {FirstDifference(now, text)}");
    }

    /// <summary>"line 12: generated '...' but the file has '...'", the first line that differs.</summary>
    internal static string FirstDifference(string generated, string file)
    {
        var g = generated.Split('\n');
        var f = file.Split('\n');
        for (int i = 0; i < Math.Max(g.Length, f.Length); i++)
        {
            string a = i < g.Length ? g[i] : "(end of text)", b = i < f.Length ? f[i] : "(end of file)";
            if (a != b) return $"Line {i + 1}: generated '{a}' but the file has '{b}'.";
        }
        return "";
    }

    [TestMethod]
    public void The_docs_hold_every_region_and_only_known_ones()
    {
        var found = GeneratedRegions.Files.SelectMany(f => GeneratedRegions.Names(Read(f))).ToList();
        CollectionAssert.AreEquivalent(GeneratedRegions.Regions.Keys.ToArray(), found.ToArray());
    }

    [TestMethod]
    public void The_schema_file_is_what_netspec_schema_prints()
    {
        string generated = NetSpec.Cli.Commands.SchemaCommand.Text(), file = Read("docs/netspec.schema.json");
        if (generated != file)
            Assert.Fail($"docs/netspec.schema.json is out of date with the op definitions: run {GeneratedRegions.UpdateCommand}. {FirstDifference(generated, file)}");
    }

    [TestMethod]
    public void Updating_a_region_keeps_the_prose_around_it_and_is_idempotent()
    {
        const string text = "before\n<!-- generated: ops-summary -->\nstale | table\n<!-- end generated -->\nafter\n";
        var once = GeneratedRegions.Update(text, OpRegistry.All);
        Assert.StartsWith("before\n<!-- generated: ops-summary -->\n| op |", once);
        Assert.EndsWith("|\n<!-- end generated -->\nafter\n", once);
        Assert.DoesNotContain("stale", once);
        Assert.AreEqual(once, GeneratedRegions.Update(once, OpRegistry.All));
    }

    [TestMethod]
    public void An_unknown_region_or_an_unclosed_one_is_an_error()
    {
        Assert.ThrowsExactly<ArgumentException>(() => GeneratedRegions.Update("<!-- generated: nonsense -->\n<!-- end generated -->\n", OpRegistry.All));
        Assert.ThrowsExactly<FormatException>(() => GeneratedRegions.Update("<!-- generated: ops-table -->\nno end\n", OpRegistry.All));
    }

    [TestMethod]
    public void Every_op_has_a_row_in_each_table_and_a_section_in_the_op_reference()
    {
        var ops = Read("docs/ops.md");
        foreach (var op in OpRegistry.All)
        {
            StringAssert.Contains(ops, $"### `{op.Name}`\n", $"docs/ops.md lacks a section for {op.Name}");
            foreach (var file in GeneratedRegions.Files)
                StringAssert.Contains(Read(file), $"`{op.Name}`", $"{file} lacks op {op.Name}");
        }
    }

    [TestMethod]
    public void A_formula_with_a_bar_does_not_break_a_table_row()
    {
        Assert.AreEqual("\\|\\|W\\|\\|", OpCatalog.Cell("||W||"));
        foreach (var line in OpCatalog.SummaryTable(OpRegistry.All).Split('\n', StringSplitOptions.RemoveEmptyEntries))
            Assert.AreEqual(5, line.Replace("\\|", "", StringComparison.Ordinal).Count(c => c == '|'), line);
    }
}
