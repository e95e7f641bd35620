using NetSpec.Runtime;
using YamlDotNet.RepresentationModel;

namespace NetSpec.Tests.Diagnostics;

/// <summary>
/// One root mistake gives its own diagnostics and none of its consequences. Every spec under
/// specs/ is broken one section at a time, in three ways: its key misspelled (the section is not
/// read at all), its value replaced by a number (the section cannot be read), and each plain
/// value in it replaced by a word no key accepts (or, in the settings sections, by 0). What the
/// rest of the spec says about a name, a hyperparameter or a setting of the broken section is a
/// consequence: whenever the broken section reports a mistake, every diagnostic must lie inside
/// it, and a misspelled section gives exactly one, listed first. (A word the section accepts,
/// such as a dataset's inputs renamed, moves the mistake to the references: no case then.)
/// </summary>
[TestClass]
public sealed class CascadeTests
{
    /// <summary>The sections whose numbers nothing else reads: a 0 there is a mistake of that section alone.</summary>
    private static readonly string[] SettingsSections = ["optimizer", "training"];

    [TestMethod]
    [DynamicData(nameof(TestPaths.SpecFiles), typeof(TestPaths))]
    public void AMisspelledSectionIsReportedOnceAndFirst(string file)
    {
        var path = Path.Combine(TestPaths.Specs, file);
        var lines = File.ReadAllLines(path);
        foreach (var s in Sections(path))
        {
            var broken = (string[])lines.Clone();
            string key = s.Key.Value!;
            string misspelled = key.Length > 3 ? key.Remove(key.Length / 2, 1) : key + key[^1];
            int at = (int)s.Key.Start.Line - 1, col = (int)s.Key.Start.Column - 1;
            broken[at] = broken[at][..col] + misspelled + broken[at][(col + key.Length)..];
            var diagnostics = Diagnose(path, broken);
            string where = $"{file} with '{key}' written '{misspelled}'";
            Assert.HasCount(1, diagnostics, where + ":\n" + string.Join("\n", diagnostics));
            StringAssert.Contains(diagnostics[0], $":{at + 1}:{col + 1}: error NS0101: unknown key '{misspelled}' in spec", where);
        }
    }

    [TestMethod]
    [DynamicData(nameof(TestPaths.SpecFiles), typeof(TestPaths))]
    public void ASectionThatCannotBeReadHasNoConsequences(string file)
    {
        var path = Path.Combine(TestPaths.Specs, file);
        var lines = File.ReadAllLines(path);
        foreach (var s in Sections(path))
        {
            if (s.Value is YamlScalarNode) continue; // a number may be a fine value of a scalar section
            var broken = lines[..(s.FirstLine - 1)].Append($"{s.Key.Value}: 7").Concat(lines[s.LastLine..]).ToArray();
            var diagnostics = Diagnose(path, broken);
            string where = $"{file} with '{s.Key.Value}: 7'";
            Assert.IsNotEmpty(diagnostics, where + " is refused");
            AllInside(diagnostics, s.FirstLine, s.FirstLine, where);
        }
    }

    [TestMethod]
    [DynamicData(nameof(TestPaths.SpecFiles), typeof(TestPaths))]
    public void AWrongValueInASectionHasNoConsequencesOutsideIt(string file)
    {
        var path = Path.Combine(TestPaths.Specs, file);
        var lines = File.ReadAllLines(path);
        int refused = 0;
        foreach (var s in Sections(path))
        {
            string[] words = SettingsSections.Contains(s.Key.Value) ? ["oops", "0"] : ["oops"];
            foreach (var leaf in Leaves(s.Value))
            foreach (var word in words)
            {
                if (leaf.Value == word) continue;
                var broken = (string[])lines.Clone();
                int at = (int)leaf.Start.Line - 1, from = (int)leaf.Start.Column - 1, to = (int)leaf.End.Column - 1;
                broken[at] = broken[at][..from] + word + broken[at][to..];
                var diagnostics = Diagnose(path, broken);
                // The section refuses the word, or it is a fine value there (a renamed dataset input
                // makes the network's reference the mistake, reported there).
                if (!diagnostics.Any(d => d.Contains(": error NS", StringComparison.Ordinal) && Line(d) >= s.FirstLine && Line(d) <= s.LastLine)) continue;
                refused++;
                AllInside(diagnostics, s.FirstLine, s.LastLine, $"{file} with '{leaf.Value}' at line {at + 1} written '{word}'");
            }
        }
        Assert.IsGreaterThan(0, refused, "some mutation is refused");
    }

    /// <summary>A top-level entry: its key, its value, and the lines from its key to the line before the next key.</summary>
    private sealed record Section(YamlScalarNode Key, YamlNode Value, int FirstLine, int LastLine);

    private static List<Section> Sections(string path)
    {
        var stream = new YamlStream();
        using (var reader = new StringReader(File.ReadAllText(path))) stream.Load(reader);
        var map = (YamlMappingNode)stream.Documents[0].RootNode;
        int lineCount = File.ReadAllLines(path).Length;
        var entries = map.Children.ToList();
        var sections = new List<Section>();
        for (int i = 0; i < entries.Count; i++)
        {
            var key = (YamlScalarNode)entries[i].Key;
            int last = i + 1 < entries.Count ? (int)entries[i + 1].Key.Start.Line - 1 : lineCount;
            sections.Add(new Section(key, entries[i].Value, (int)key.Start.Line, last));
        }
        return sections;
    }

    /// <summary>
    /// The single-line scalar values under <paramref name="node"/> (keys excluded); of a list only
    /// the first item, so a matrix of numbers costs one case, not one per number.
    /// </summary>
    private static IEnumerable<YamlScalarNode> Leaves(YamlNode node)
    {
        switch (node)
        {
            case YamlScalarNode s when s.Start.Line == s.End.Line && s.Start.Column < s.End.Column:
                yield return s;
                break;
            case YamlSequenceNode seq when seq.Children.Count > 0:
                foreach (var l in Leaves(seq.Children[0])) yield return l;
                break;
            case YamlMappingNode map:
                foreach (var c in map.Children)
                foreach (var l in Leaves(c.Value))
                    yield return l;
                break;
        }
    }

    private static List<string> Diagnose(string path, string[] lines)
    {
        var loaded = NetSpecEngine.LoadText(path, string.Join("\n", lines) + "\n");
        return [.. loaded.Diagnostics.Sorted().Select(d => d.ToString())];
    }

    private static int Line(string diagnostic)
    {
        var m = System.Text.RegularExpressions.Regex.Match(diagnostic, @":(\d+):(\d+): ");
        return m.Success ? int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
    }

    /// <summary>Every diagnostic is at a line in [first, last] of the spec.</summary>
    private static void AllInside(List<string> diagnostics, int first, int last, string where)
    {
        foreach (var d in diagnostics)
        {
            int line = Line(d);
            Assert.IsGreaterThan(0, line, $"{where}: a diagnostic without a position: {d}");
            Assert.IsTrue(line >= first && line <= last,
                $"{where}: a consequence outside lines {first}-{last} of the broken section:\n{string.Join("\n", diagnostics)}");
        }
    }
}
