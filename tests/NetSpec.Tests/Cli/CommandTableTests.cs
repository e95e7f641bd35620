using System.CommandLine;
using NetSpec.Cli;

namespace NetSpec.Tests.Cli;

/// <summary>
/// The command table behind <see cref="Program.BuildRoot(string?)"/>: a command line that starts
/// with a command's name is parsed against a root holding that command alone, which must parse
/// it exactly as the whole tree does.
/// </summary>
[TestClass]
public sealed class CommandTableTests
{
    [TestMethod]
    public void EachEntryBuildsTheCommandItNames()
    {
        var full = Program.BuildRoot();
        CollectionAssert.AreEqual(Program.Commands.Select(c => c.Name).ToArray(), full.Subcommands.Select(c => c.Name).ToArray());
        foreach (var (name, _) in Program.Commands)
        {
            var one = Program.BuildRoot(name);
            Assert.AreEqual(1, one.Subcommands.Count, name);
            Assert.AreEqual(name, one.Subcommands[0].Name);
        }
    }

    [TestMethod]
    public void OneCommandParsesAsTheWholeTreeDoes()
    {
        string[][] lines =
        [
            ["run", "specs/lab07.yaml"],
            ["run", "specs/lab07.yaml", "--threads", "2", "--trace-file", "t.jsonl"],
            ["run", "specs/lab07.yaml", "--threads", "0"],
            ["run", "specs/lab07.yaml", "--no-such-option"],
            ["run"],
            ["run", ""],
            ["check", "a.yaml", "b.yaml", "--quiet"],
            ["export", "a.yaml", "--onnx", ""],
            ["ops", "relu"],
            ["schema", "extra"],
            ["compare", "a.jsonl"],
            ["worksheet", "a.yaml", "--help"],
        ];
        var full = Program.BuildRoot();
        foreach (var line in lines)
        {
            var expected = full.Parse(line);
            var actual = Program.BuildRoot(line[0]).Parse(line);
            string what = string.Join(' ', line);
            Assert.AreEqual(expected.CommandResult.Command.Name, actual.CommandResult.Command.Name, what);
            CollectionAssert.AreEqual(expected.Errors.Select(e => e.Message).ToArray(), actual.Errors.Select(e => e.Message).ToArray(), what);
            CollectionAssert.AreEqual(expected.Tokens.Select(t => $"{t.Type}:{t.Value}").ToArray(), actual.Tokens.Select(t => $"{t.Type}:{t.Value}").ToArray(), what);
            CollectionAssert.AreEqual(expected.UnmatchedTokens.ToArray(), actual.UnmatchedTokens.ToArray(), what);
        }
    }
}
