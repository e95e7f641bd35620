namespace NetSpec.Tests.Docs;

/// <summary>
/// docs/scaling.md's walk-through runs as written: its one ```sh block after
/// <c>&lt;!-- walkthrough --&gt;</c>, in bash with <c>set -euo pipefail</c>, in a copy of digits'
/// spec and data laid out as the repository's, <c>netspec</c> being this build's CLI and python3
/// Debian's. Every line must succeed, the <c>netspec compare</c> lines included (exit 1 on any
/// mismatch). Inconclusive where Python has no torch.
/// </summary>
[TestClass]
public sealed class ScalingWalkthroughTests
{
    private static string Walkthrough() =>
        ServingSnippetTests.Block(File.ReadAllText(Path.Combine(TestPaths.Root, "docs", "scaling.md")).Replace("\r\n", "\n", StringComparison.Ordinal), "walkthrough", "sh");

    [TestMethod]
    public void The_walkthrough_is_one_block_of_the_contract_s_commands()
    {
        var block = Walkthrough();
        foreach (var command in new[] { "netspec export specs/digits64.yaml --pytorch digits.py", "python3 digits.py --trace torch.jsonl",
                     "python3 -m torch.distributed.run --standalone --nproc_per_node=2 ", "netspec run specs/digits64.yaml -q --trace-file netspec.jsonl",
                     "netspec compare torch.jsonl netspec.jsonl\n", "netspec compare ddp.jsonl netspec.jsonl\n" })
            StringAssert.Contains(block, command);
    }

    [TestMethod]
    [Timeout(1_500_000, CooperativeCancellation = true)]
    public void The_walkthrough_runs_as_written_and_every_compare_finds_the_traces_equal()
    {
        var dir = Directory.CreateTempSubdirectory("netspec-walkthrough-").FullName;
        try
        {
            var bin = ServingSnippetTests.Bin(dir);
            string python = File.Exists(Path.Combine(bin, "python3")) ? Path.Combine(bin, "python3") : "python3";
            var (hasTorch, _, why) = ServingSnippetTests.Process(python, dir, bin, TimeSpan.FromMinutes(2), "-c", "import torch, numpy");
            if (hasTorch != 0) Assert.Inconclusive($"the walk-through needs Debian's torch and numpy (apt-get install python3-torch python3-numpy): {why.Trim()}");
            ServingSnippetTests.CopyDigits(dir);
            var block = Walkthrough();
            var (code, output, err) = ServingSnippetTests.Process("bash", dir, bin, TimeSpan.FromMinutes(24), "-xeuo", "pipefail", "-c", block);
            Assert.AreEqual(0, code, $"docs/scaling.md's walk-through failed:\n{output}\n{err}");
            int compares = block.Split('\n').Count(l => l.StartsWith("netspec compare ", StringComparison.Ordinal));
            Assert.AreEqual(compares, output.Split('\n').Count(l => l.StartsWith("equal: 42 records compared (42 values), 0 differing", StringComparison.Ordinal)), output);
            foreach (var trace in new[] { "netspec.jsonl", "torch.jsonl", "ddp.jsonl" })
                Assert.IsTrue(File.Exists(Path.Combine(dir, trace)), trace);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
