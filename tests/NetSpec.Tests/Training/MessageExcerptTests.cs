using NetSpec.Parser.Diagnostics;
using NetSpec.Runtime;

namespace NetSpec.Tests.Training;

/// <summary>Messages quote input as one short excerpt: a hostile file is never echoed whole.</summary>
[TestClass]
public sealed class MessageExcerptTests
{
    [TestMethod]
    public void An_excerpt_is_cut_with_dots_past_forty_characters()
    {
        Assert.AreEqual("short", Excerpt.Clip("short"));
        Assert.AreEqual(new string('a', 37) + "...", Excerpt.Clip(new string('a', 100_000)));
    }

    [TestMethod]
    public void A_library_message_has_its_quoted_parts_clipped_its_control_characters_shown_and_a_bounded_length()
    {
        string m = Excerpt.Message($"'{new string('x', 5000)}' is an invalid literal\nnext");
        Assert.AreEqual($"'{new string('x', 37)}...' is an invalid literal\\u000Anext", m);
        Assert.IsLessThanOrEqualTo(Excerpt.MaxMessageLength, Excerpt.Message(new string('y', 100_000)).Length);
    }

    [TestMethod]
    public void A_parameters_file_that_is_not_json_is_not_echoed()
    {
        using var folder = new TrainingFolder();
        folder.File("p.json", "truex" + new string('z', 100_000));
        var loaded = NetSpecEngine.Load(folder.File("s.yaml", """
            netspec: 1
            parameters_file: p.json
            data:
              x: [1, 2]
            parameters:
              W: [[1, 2]]
            network:
              z: {op: relu, x: x}
              o: {op: sum, inputs: [z, z]}
            """));
        Assert.IsFalse(loaded.Ok);
        var e = loaded.Diagnostics.Items.Single(d => d.Code == Codes.FileUnreadable);
        StringAssert.StartsWith(e.Message, "cannot read the parameters file 'p.json': ");
        Assert.IsLessThan(300, e.Message.Length, e.Message);
    }
}
