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
        Assert.AreEqual(now, text,
            $"{file} is out of date with the op definitions: run {GeneratedRegions.UpdateCommand} and commit the result");
    }

    [TestMethod]
    public void The_docs_hold_every_region_and_only_known_ones()
    {
        var found = GeneratedRegions.Files.SelectMany(f => GeneratedRegions.Names(Read(f))).ToList();
        CollectionAssert.AreEquivalent(GeneratedRegions.Regions.Keys.ToArray(), found.ToArray());
    }

    [TestMethod]
    public void The_schema_file_is_what_netspec_schema_prints() =>
        Assert.AreEqual(NetSpec.Cli.Commands.SchemaCommand.Text(), Read("docs/netspec.schema.json"),
            $"docs/netspec.schema.json is out of date with the op definitions: run {GeneratedRegions.UpdateCommand}");

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
