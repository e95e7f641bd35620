using System.CommandLine;
using NetSpec.Cli;
using NetSpec.Runtime.Ops;
using NetSpec.Tests.Cli;

namespace NetSpec.Tests.Docs;

/// <summary>
/// docs/cli.md is what the command tree says: every generated region is current (else the
/// message names the command and tools/update-generated.sh), and every option and argument that
/// <c>netspec COMMAND --help</c> prints is in the command's section.
/// </summary>
[TestClass]
public sealed class CliDocsTests
{
    private static string Text => File.ReadAllText(Path.Combine(TestPaths.Root, CliDocs.File));

    public static IEnumerable<object[]> Commands => CliDocs.Commands(Program.BuildRoot()).Select(c => new object[] { c.Path });

    [TestMethod]
    public void Docs_cli_md_is_what_the_command_definitions_generate()
    {
        string text = Text, now = CliDocs.Update(text, Program.BuildRoot());
        if (now != text)
            Assert.Fail($"{CliDocs.File} is out of date for: {string.Join(", ", CliDocs.StaleCommands(text, Program.BuildRoot()))}. " +
                        $"Run {GeneratedRegions.UpdateCommand} and commit the result (then write the prose of a new command's section). " +
                        GeneratedDocsTests.FirstDifference(now, text));
    }

    [TestMethod]
    [DynamicData(nameof(Commands))]
    public void Every_option_that_help_prints_is_in_the_command_s_section(string command)
    {
        var (code, help, err) = CliRunner.Invoke([.. command.Split(' '), "--help"]);
        Assert.AreEqual(0, code, err);
        string text = Text;
        string heading = $"## `netspec {command}`\n";
        int at = text.IndexOf(heading, StringComparison.Ordinal);
        Assert.IsGreaterThanOrEqualTo(0, at, $"{CliDocs.File} has no section '{heading.Trim()}'");
        int next = text.IndexOf("\n## ", at + heading.Length, StringComparison.Ordinal);
        string section = text[at..(next < 0 ? text.Length : next)];
        // The options of --help: each line "  --name, -n <value>  description".
        var options = help.Split('\n').SkipWhile(l => !l.StartsWith("Options:", StringComparison.Ordinal)).Skip(1)
            .TakeWhile(l => l.StartsWith(' ')).Select(l => l.Trim()).Where(l => l.StartsWith('-'))
            .SelectMany(l => l.Split("  ")[0].Split(',', StringSplitOptions.TrimEntries)).Select(o => o.Split(' ')[0])
            .Where(o => o is not ("-?" or "-h" or "--help" or "--version")).ToList();
        foreach (var o in options)
            StringAssert.Contains(section, $"`{o}", $"{CliDocs.File}: the section of 'netspec {command}' does not mention {o}, which --help lists");
    }

    [TestMethod]
    public void A_new_command_gets_a_section_and_a_removed_one_is_an_error()
    {
        var root = new RootCommand("test") { new Command("alpha", "First") { new Option<int>("--count") { Description = "How many", DefaultValueFactory = _ => 3 } } };
        string text = $"intro\n<!-- generated: cli-commands -->\n<!-- end generated -->\n{CliDocs.Anchor}\nend\n";
        var once = CliDocs.Update(text, root);
        StringAssert.Contains(once, "| [`netspec alpha`](#netspec-alpha) | First |");
        StringAssert.Contains(once, "## `netspec alpha`\n\n<!-- generated: cli-command alpha -->\n");
        StringAssert.Contains(once, "| `--count <count>` | How many | `3` |");
        Assert.AreEqual(once, CliDocs.Update(once, root), "updating is idempotent");
        Assert.ThrowsExactly<FormatException>(() => CliDocs.Update(once, new RootCommand("test")));
        var withProse = once.Replace("<!-- end generated -->\n\n" + CliDocs.Anchor, "<!-- end generated -->\n\nHand-written prose.\n\n" + CliDocs.Anchor, StringComparison.Ordinal);
        StringAssert.Contains(CliDocs.Update(withProse, root), "Hand-written prose.");
    }

    [TestMethod]
    public void Every_command_of_the_tree_is_in_the_table_of_commands()
    {
        foreach (var (path, _) in CliDocs.Commands(Program.BuildRoot()))
            StringAssert.Contains(Text, $"(#netspec-{path.Replace(' ', '-')})");
        StringAssert.Contains(Text, "(#netspec-summary)");
    }
}
