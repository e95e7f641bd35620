using NetSpec.Parser.Diagnostics;
using NetSpec.Runtime;

namespace NetSpec.Tests.Training;

/// <summary>Data of a spec without training read from a CSV file: <c>x: {file: rows.csv, columns: [...]}</c>.</summary>
[TestClass]
public sealed class DataFileTests
{
    private static string Folder()
    {
        string dir = Path.Combine(Path.GetTempPath(), "netspec-data-file-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    private const string Spec = """
        network: {z: {op: linear, x: x, W: W, b: b}}
        data:
          x: {file: rows.csv, columns: [b_col, a_col]}
        parameters:
          W: [[1, 10]]
          b: [0.5]
        expect:
          tolerance: 0
          forward:
            z: [[41.5], [-7.5], [1000.5]]
        """;

    [TestMethod]
    public void A_batch_is_read_from_the_chosen_columns_of_a_csv_file()
    {
        // z = 1 * b_col + 10 * a_col + 0.5, by hand: 1 + 40 + 0.5, 2 - 10 + 0.5, 0 + 1000 + 0.5.
        string dir = Folder();
        File.WriteAllText(Path.Combine(dir, "rows.csv"), "a_col,b_col,unused\n4,1,x\n-1,2,y\n100,0,z\n");
        File.WriteAllText(Path.Combine(dir, "s.yaml"), Spec);
        var loaded = NetSpecEngine.Load(Path.Combine(dir, "s.yaml"));
        Assert.IsTrue(loaded.Ok, string.Join("\n", loaded.Diagnostics.Items));
        Assert.AreEqual("3x2", loaded.Graph!.Find("x")!.Shape.ToString());
        var result = NetSpecEngine.Run(loaded.Graph);
        Assert.IsTrue(result.AllPassed);
        File.WriteAllText(Path.Combine(dir, "rows.csv"), "a_col,b_col,unused\n4,1,x\n-1,2,y\n100,0.001,z\n");
        Assert.IsFalse(NetSpecEngine.Run(NetSpecEngine.Load(Path.Combine(dir, "s.yaml")).Graph!).AllPassed);
        Directory.Delete(dir, true);
    }

    [TestMethod]
    [DataRow("a_col,b_col,unused\n4,1,x\n-1,oops,y\n", "rows.csv:3:4: error NS0106", "column 'b_col' of row 2 is not a finite number: 'oops'")]
    [DataRow("a_col,b_col,unused\n4,1,x\n-1,2\n", "rows.csv:3:1: error NS0105", "row 2 has 2 fields but the header has 3")]
    [DataRow("a,b_col,unused\n4,1,x\n", "s.yaml:3:40: error NS0201", "'a_col' is not a column of the data file")]
    [DataRow(null, "s.yaml:3:13: error NS0001", "the data file 'rows.csv' of 'x' does not exist")]
    public void A_bad_data_file_is_reported_at_its_line_and_column(string? csv, string where, string message)
    {
        string dir = Folder();
        if (csv is not null) File.WriteAllText(Path.Combine(dir, "rows.csv"), csv);
        File.WriteAllText(Path.Combine(dir, "s.yaml"), Spec);
        var loaded = NetSpecEngine.Load(Path.Combine(dir, "s.yaml"));
        var d = loaded.Diagnostics.Items.Single(i => i.Severity == Severity.Error);
        string text = $"{Path.GetFileName(d.Span.File)}:{d.Span.Line}:{d.Span.Column}: error {d.Code}";
        Assert.AreEqual(where, text, d.ToString());
        StringAssert.Contains(d.Message, message);
        Directory.Delete(dir, true);
    }
}
