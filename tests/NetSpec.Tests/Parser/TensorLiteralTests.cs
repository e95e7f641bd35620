using NetSpec.Parser;
using NetSpec.Parser.Diagnostics;
using NetSpec.Parser.Model;

namespace NetSpec.Tests.Parser;

/// <summary>Tensor literals of any rank up to <see cref="TensorLiteral.MaxRank"/>, as the parser reads them (no graph).</summary>
[TestClass]
public sealed class TensorLiteralTests
{
    private static (SpecDocument? Doc, DiagnosticBag Diagnostics) Parse(string yaml)
    {
        var d = new DiagnosticBag();
        return (SpecParser.ParseText("t.yaml", "network: {h: {op: relu, x: x}}\n" + yaml, d).Document, d);
    }

    private static string Nested(int depth) => new string('[', depth) + "1, 2" + new string(']', depth);

    [TestMethod]
    public void A_rank_3_literal_has_three_dimensions_and_row_major_values()
    {
        var (doc, d) = Parse("data: {x: [[[1, 2, 3], [4, 5, 6]], [[7, 8, 9], [10, 11, 12]]]}\n");
        Assert.IsEmpty(d.Items, string.Join("\n", d.Items));
        var x = doc!.Data.Single().Value;
        CollectionAssert.AreEqual(new[] { 2, 2, 3 }, x.Dims);
        Assert.AreEqual(3, x.Rank);
        Assert.AreEqual("2x2x3", x.ShapeText);
        CollectionAssert.AreEqual(Enumerable.Range(1, 12).Select(i => (double)i).ToArray(), x.Values);
    }

    [TestMethod]
    public void Lists_nested_eight_deep_are_a_rank_8_tensor()
    {
        var (doc, d) = Parse($"parameters: {{W: {Nested(8)}}}\n");
        Assert.IsEmpty(d.Items, string.Join("\n", d.Items));
        Assert.AreEqual("1x1x1x1x1x1x1x2", doc!.Parameters.Single().Value!.ShapeText);
    }

    [TestMethod]
    public void Lists_nested_nine_deep_are_refused_at_the_ninth_list()
    {
        var (_, d) = Parse($"data: {{x: {Nested(9)}}}\n");
        var rank = d.Items.Single();
        Assert.AreEqual(Codes.TensorRank, rank.Code);
        Assert.AreEqual("data 'x' nests lists 9 deep: a tensor has at most 8 dimensions", rank.Message);
        Assert.AreEqual(2, rank.Span.Line);
        Assert.AreEqual(19, rank.Span.Column);
    }

    [TestMethod]
    [DataRow("[[[1, 2], [3, 4]], [[5, 6], [7]]]", "row 2.2 of data 'x' has 1 values but row 1.1 has 2", DisplayName = "a short row")]
    [DataRow("[[[1, 2], [3, 4]], [[5, 6]]]", "item 2 of data 'x' has 1 rows but item 1 has 2", DisplayName = "a short item")]
    [DataRow("[[[1, 2]], [3]]", "row 2.1 of data 'x' is not a list: every row of a rank-3 tensor is a list", DisplayName = "a number where a row belongs")]
    [DataRow("[[[1, 2], [3, 4]], 5]", "item 2 of data 'x' is not a list: every item of a rank-3 tensor is a list", DisplayName = "a number where an item belongs")]
    [DataRow("[[1, 2], [3, [4]]]", "row 2 of data 'x' mixes numbers and lists: every row of a matrix holds numbers", DisplayName = "a list in a row")]
    [DataRow("[[[[1]], [[2]]], [[[3]], [4]]]", "row 2.2.1 of data 'x' is not a list: every row of a rank-4 tensor is a list", DisplayName = "rank 4")]
    public void A_ragged_literal_is_refused_at_the_first_list_that_differs(string literal, string message)
    {
        var (doc, d) = Parse($"data: {{x: {literal}}}\n");
        var ragged = d.Items.Single();
        Assert.AreEqual(Codes.RaggedMatrix, ragged.Code);
        Assert.AreEqual(message, ragged.Message);
        Assert.IsEmpty(doc!.Data);
    }

    [TestMethod]
    public void An_initializer_shape_may_have_up_to_eight_dimensions()
    {
        var (doc, d) = Parse("parameters: {K: {init: zeros, shape: [2, 3, 4]}, E: {init: ones, shape: [1, 1, 1, 1, 1, 1, 1, 2]}}\n");
        Assert.IsEmpty(d.Items, string.Join("\n", d.Items));
        CollectionAssert.AreEqual(new[] { 2, 3, 4 }, doc!.Parameters[0].Init!.Shape);
        Assert.HasCount(8, doc.Parameters[1].Init!.Shape);
    }

    [TestMethod]
    public void An_initializer_shape_of_nine_dimensions_is_refused()
    {
        var (_, d) = Parse("parameters: {K: {init: zeros, shape: [1, 1, 1, 1, 1, 1, 1, 1, 2]}}\n");
        var rank = d.Items.Single();
        Assert.AreEqual(Codes.TensorRank, rank.Code);
        Assert.AreEqual("the shape of 'K' has 9 dimensions: a tensor has at most 8", rank.Message);
    }

    [TestMethod]
    public void Eight_large_dimensions_pass_the_element_limit_without_overflowing()
    {
        var (_, d) = Parse("parameters: {K: {init: zeros, shape: [65536, 65536, 65536, 65536, 65536, 65536, 65536, 65536]}, L: {init: zeros, shape: [65536, 65536, 65536, 65536]}}\n");
        var limit = d.Items.Single();
        Assert.AreEqual(Codes.TooManyElements, limit.Code);
    }
}
