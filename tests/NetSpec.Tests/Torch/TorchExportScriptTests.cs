using System.Text.RegularExpressions;
using NetSpec.Runtime.Graph;
using static NetSpec.Tests.Torch.TorchExportHarness;

namespace NetSpec.Tests.Torch;

/// <summary>
/// Every spec of specs/ (lab07, the worked examples, iris, digits, digits-bn-dropout, the CNN
/// lenet-digits, synthetic-teacher) exported with <c>--pytorch</c> in float64 and run by
/// Debian's torch: its trace equals NetSpec's own float64 run record for record (the same
/// records, names, ops, expressions and modes; every number to 1e-10 relative), and so do its
/// final parameters. A float32 spec is exported with --float64 and compared with NetSpec's run of
/// the same spec in float64. A training spec is traced at its first two steps (a test-only edit
/// of its <c>trace:</c>; the specs trace epoch summaries only) besides the epoch metrics; the
/// runs are otherwise the specs' own, every epoch. The expected side is NetSpec's interpreter,
/// the actual side torch's autograd and kernels: two independent computations. All scripts run
/// in one Python process (torch imported once) while NetSpec runs the specs.
/// </summary>
[TestClass]
public sealed class TorchExportScriptTests
{
    private sealed record Outcome(string? Refused, Comparison? Trace, Comparison? Parameters, int Code, string Output)
    {
        /// <summary>The script's trace file.</summary>
        public string TracePath { get; init; } = "";
    }

    private static readonly Lazy<Dictionary<string, Outcome>> s_outcomes = new(RunAll, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>A training spec traced at steps 1 and 2 (value by value) besides its epoch summaries.</summary>
    private static string FirstSteps(string text) =>
        Regex.Replace(text, @"(\n  trace: )\{steps: \[[^\]]*\]\}", "$1{steps: [1, 2]}");

    private static Dictionary<string, Outcome> RunAll()
    {
        string python = Python();
        string folder = TempFolder("netspec-torch-export");
        var jobs = new List<Job>();
        var pending = new List<(string File, NetworkGraph Graph64, string Script)>();
        var outcomes = new Dictionary<string, Outcome>(StringComparer.Ordinal);
        foreach (var file in TestPaths.SpecFiles().Select(o => (string)o[0]))
        {
            var graph = Load(file);
            Func<string, string> edit = graph.Spec.Training is not null ? FirstSteps : t => t;
            if (graph.Spec.Training is not null) graph = Load(file, edit);
            string name = Path.GetFileNameWithoutExtension(file);
            string script = Path.Combine(folder, name.Replace('-', '_') + ".py");
            try
            {
                Export(graph, script);
            }
            catch (NetSpec.Runtime.Torch.TorchExportException e)
            {
                outcomes[file] = new Outcome(e.Message, null, null, -1, "");
                continue;
            }
            jobs.Add(new Job(script, ["--trace", script + ".trace.jsonl", "--parameters-out", script + ".out.json"]));
            pending.Add((file, Load(file, t => Float64(edit(t))), script));
        }
        var scripts = Task.Run(() => RunScripts(python, jobs, folder, TimeSpan.FromMinutes(10)));
        var netspec = pending.ToDictionary(p => p.File, p => RunNetSpec(p.Graph64, p.Script + ".netspec.jsonl"), StringComparer.Ordinal);
        var results = scripts.Result;
        foreach (var (file, _, script) in pending)
        {
            var (code, output) = results[script];
            if (code != 0)
            {
                outcomes[file] = new Outcome(null, null, null, code, output);
                continue;
            }
            outcomes[file] = new Outcome(null, CompareTraces(script + ".netspec.jsonl", script + ".trace.jsonl"),
                CompareParameters(netspec[file], ReadParameters(script + ".out.json")), code, output) { TracePath = script + ".trace.jsonl" };
        }
        return outcomes;
    }

    public static IEnumerable<object[]> Specs => TestPaths.SpecFiles();

    [TestMethod]
    [DynamicData(nameof(Specs))]
    [Timeout(15 * 60 * 1000, CooperativeCancellation = true)]
    public void The_exported_script_s_float64_run_equals_NetSpec_s(string file)
    {
        Python();
        var o = s_outcomes.Value[file];
        Assert.IsNull(o.Refused, $"{file} did not export: {o.Refused}");
        Assert.AreEqual(0, o.Code, $"{file}: the script failed:\n{o.Output}");
        Console.WriteLine($"{file}: trace {o.Trace!.Summary}; final parameters {o.Parameters!.Summary}");
        Assert.IsEmpty(o.Trace.Problems, $"{file}: the traces differ:\n{string.Join("\n", o.Trace.Problems.Take(20))}");
        Assert.IsEmpty(o.Parameters.Problems, $"{file}: the final parameters differ:\n{string.Join("\n", o.Parameters.Problems.Take(20))}");
    }

    /// <summary>lab07's numbers are small integers and short decimals: the script's trace is the golden trace, byte for byte.</summary>
    [TestMethod]
    public void Lab07_s_script_writes_the_golden_trace_byte_for_byte()
    {
        Python();
        var o = s_outcomes.Value["lab07.yaml"];
        Assert.AreEqual(0, o.Code, o.Output);
        Assert.AreEqual(File.ReadAllText(Path.Combine(TestPaths.Golden, "lab07.trace.jsonl")), File.ReadAllText(o.TracePath));
    }
}
