using NetSpec.Parser.Diagnostics;
using NetSpec.Parser.Yaml;
using NetSpec.Runtime;

namespace NetSpec.Tests.Diagnostics;

/// <summary>
/// The corpus of bad specs: each <c>Corpus/NAME.yaml</c> holds one mistake, and
/// <c>NAME.expected</c> its exact diagnostics, one <c>file:line:col: severity CODE: message</c>
/// a line, in the order reported. An optional first line <c>limits: Name=value ...</c> sets
/// parser limits for that case. <c>{known-ops}</c> in an expected line stands for the registry's
/// op names, comma-separated, so adding an op changes no corpus file.
/// </summary>
[TestClass]
public sealed class DiagnosticCorpusTests
{
    public static string CorpusFolder => Path.Combine(TestPaths.Root, "tests", "NetSpec.Tests", "Diagnostics", "Corpus");

    public static IEnumerable<object[]> Cases() =>
        Directory.EnumerateFiles(CorpusFolder, "*.yaml")
            .Order(StringComparer.Ordinal)
            .Select(p => new object[] { Path.GetFileNameWithoutExtension(p) });

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public void EachBadSpecGetsExactlyItsExpectedDiagnostics(string name)
    {
        var (limits, expected) = ReadExpected(name);
        var loaded = NetSpecEngine.Load(Path.Combine(CorpusFolder, name + ".yaml"), limits);
        var actual = loaded.Diagnostics.Sorted().Select(d => Relative(d.ToString())).ToList();
        Assert.AreEqual(string.Join("\n", expected), string.Join("\n", actual), $"diagnostics of {name}.yaml");
        foreach (var d in loaded.Diagnostics.Items)
        {
            // Each renders with its source line and carets (file-level ones without).
            var rendered = DiagnosticFormatter.Format(d, loaded.Source);
            Assert.AreEqual(d.Span.HasPosition ? 3 : 1, rendered.Split('\n').Length, rendered);
        }
        Assert.AreEqual(expected.Any(e => e.Contains(": error NS", StringComparison.Ordinal)), !loaded.Ok,
            "a spec is refused exactly when it has an error");
    }

    [TestMethod]
    public void TheCorpusHasAtLeastFiftyCasesAndCoversEveryStaticCode()
    {
        var names = Cases().Select(c => (string)c[0]).ToList();
        Assert.IsGreaterThanOrEqualTo(50, names.Count);
        var seen = names.SelectMany(n => File.ReadAllLines(Path.Combine(CorpusFolder, n + ".expected")))
            .Select(l => System.Text.RegularExpressions.Regex.Match(l, @" (error|warning) (NS\d{4}):"))
            .Where(m => m.Success).Select(m => m.Groups[2].Value).ToHashSet();
        var all = typeof(Codes).GetFields().Select(f => (string)f.GetRawConstantValue()!).ToHashSet();
        // Not produced by a spec file's content: a missing file and a directory (tested through
        // the CLI below), data-file paths (reserved for data files), numeric faults (run time),
        // answers files (not specs: tests/NetSpec.Tests/Cli/WorksheetTests.cs).
        string[] notStatic = [Codes.FileNotFound, Codes.FileUnreadable, Codes.PathOutsideSpec, Codes.NonFinite, Codes.AnswersInvalid];
        var missing = all.Except(seen).Except(notStatic).Order(StringComparer.Ordinal).ToList();
        Assert.IsEmpty(missing, "codes without a corpus case: " + string.Join(", ", missing));
    }

    /// <summary>What <c>{known-ops}</c> in an expected line stands for.</summary>
    public static string KnownOps => string.Join(", ", NetSpec.Runtime.Ops.OpRegistry.Names);

    private static (ParserLimits Limits, List<string> Lines) ReadExpected(string name)
    {
        var lines = File.ReadAllLines(Path.Combine(CorpusFolder, name + ".expected")).Where(l => l.Length > 0)
            .Select(l => l.Replace("{known-ops}", KnownOps, StringComparison.Ordinal)).ToList();
        var limits = ParserLimits.Default;
        if (lines.Count > 0 && lines[0].StartsWith("limits:", StringComparison.Ordinal))
        {
            foreach (var setting in lines[0]["limits:".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                var (key, value) = (setting.Split('=')[0], long.Parse(setting.Split('=')[1], System.Globalization.CultureInfo.InvariantCulture));
                limits = key switch
                {
                    "MaxFileBytes" => limits with { MaxFileBytes = value },
                    "MaxDepth" => limits with { MaxDepth = (int)value },
                    "MaxNodes" => limits with { MaxNodes = value },
                    "MaxStringLength" => limits with { MaxStringLength = (int)value },
                    "MaxElements" => limits with { MaxElements = value },
                    _ => throw new InvalidDataException($"unknown limit '{key}' in {name}.expected"),
                };
            }
            lines.RemoveAt(0);
        }
        return (limits, lines);
    }

    private static string Relative(string line)
    {
        string prefix = CorpusFolder + Path.DirectorySeparatorChar;
        return line.StartsWith(prefix, StringComparison.Ordinal) ? line[prefix.Length..] : line;
    }
}
