using System.Globalization;
using System.Text.Json;
using NetSpec.Runtime;
using NetSpec.Runtime.Execution;
using NetSpec.Runtime.Graph;
using NetSpec.Runtime.Torch;
using NetSpec.Runtime.Trace;
using NetSpec.Runtime.Training;
using NetSpec.Tests.Onnx;

namespace NetSpec.Tests.Torch;

/// <summary>
/// What the PyTorch export tests share: loading a spec (optionally edited, e.g. to float64),
/// running it in NetSpec (float64) into a JSON-lines trace and its final parameters, exporting
/// it, running exported scripts in one Python process, and comparing two traces or two sets of
/// parameters value by value (the same records in the same order; numbers to a relative
/// tolerance).
/// </summary>
internal static class TorchExportHarness
{
    private static readonly Lazy<(string? Python, string Reason)> s_python = new(() => TestPython.Find("torch, numpy"));

    /// <summary>A Python with torch and numpy; the test is inconclusive without one.</summary>
    public static string Python()
    {
        var (python, reason) = s_python.Value;
        if (python is null) Assert.Inconclusive($"the exported PyTorch scripts need torch and numpy in Python (Debian: apt-get install python3-torch python3-numpy): {reason}");
        return python!;
    }

    /// <summary>The spec <paramref name="file"/> of specs/, its text edited by <paramref name="edit"/>, loaded as if it were the file itself (its data files found beside it).</summary>
    public static NetworkGraph Load(string file, Func<string, string>? edit = null)
    {
        string path = Path.Combine(TestPaths.Specs, file);
        string text = File.ReadAllText(path);
        if (edit is not null) text = edit(text);
        var loaded = NetSpecEngine.LoadText(path, text);
        Assert.IsTrue(loaded.Ok, $"{file}: {string.Join("; ", loaded.Diagnostics.Items)}");
        return loaded.Graph!;
    }

    /// <summary>The text with the spec's dtype float64 (a float32 spec compared in float64).</summary>
    public static string Float64(string text) => text.Replace("dtype: float32", "dtype: float64", StringComparison.Ordinal);

    /// <summary>
    /// Runs <paramref name="graph"/> in NetSpec in float64 (its steps, or its training without
    /// writing files) with its trace written to <paramref name="tracePath"/>; the final parameters by name.
    /// </summary>
    public static Dictionary<string, double[]> RunNetSpec(NetworkGraph graph, string tracePath)
    {
        var result = new Dictionary<string, double[]>(StringComparer.Ordinal);
        using var sink = TraceJson.ToFile(tracePath);
        if (graph.Spec.Training is not null)
        {
            var trainer = new Trainer<double>(graph, graph.Dataset!, new TrainingRunOptions(), sink);
            var (_, fault) = trainer.Train();
            Assert.IsNull(fault, $"{graph.Spec.Name}: NetSpec's training stopped at a NaN or infinity");
            foreach (var (name, value) in trainer.Parameters) result[name] = [.. value.Data];
        }
        else
        {
            var interp = new Interpreter<double>(graph, new InterpreterOptions(), sink);
            var run = new StepRunner<double>(interp).Run();
            Assert.IsNull(run.Fault, $"{graph.Spec.Name}: NetSpec's run stopped at a NaN or infinity");
            foreach (var v in graph.Values.Where(v => v.Kind == ValueKind.Parameter)) result[v.Name] = [.. interp.Value(v.Name).Data];
        }
        return result;
    }

    /// <summary>Exports <paramref name="graph"/> as <paramref name="scriptPath"/> in float64, with its parameters file beside it.</summary>
    public static void Export(NetworkGraph graph, string scriptPath, TorchExportOptions? options = null)
    {
        var export = TorchScript.Export(graph, scriptPath, (options ?? new TorchExportOptions()) with { Float32 = false });
        File.WriteAllText(scriptPath, export.Script);
        File.WriteAllBytes(Path.Combine(Path.GetDirectoryName(scriptPath)!, export.ParametersFileName), export.ParametersFile);
    }

    /// <summary>One exported script to run with its arguments.</summary>
    public sealed record Job(string Script, IReadOnlyList<string> Args);

    /// <summary>
    /// Runs every job in one Python process (torch is imported once): each script is loaded as a
    /// module of its own and its main(args) called. The exit code of each, by script.
    /// </summary>
    public static Dictionary<string, (int Code, string Output)> RunScripts(string python, IReadOnlyList<Job> jobs, string folder, TimeSpan timeout)
    {
        string driver = Path.Combine(folder, "run_exported.py");
        File.WriteAllText(driver, """
            import importlib.util, json, sys, traceback
            jobs = json.load(open(sys.argv[1]))
            for i, job in enumerate(jobs):
                print("BEGIN %s" % job["script"], flush=True)
                try:
                    spec = importlib.util.spec_from_file_location("exported_%d" % i, job["script"])
                    module = importlib.util.module_from_spec(spec)
                    spec.loader.exec_module(module)
                    code = module.main(job["args"])
                except SystemExit as e:
                    code = e.code if isinstance(e.code, int) else 1
                    print(e, flush=True)
                except Exception:
                    traceback.print_exc(file=sys.stdout)
                    code = 99
                print("END %s %d" % (job["script"], code), flush=True)
            """);
        string list = Path.Combine(folder, "jobs.json");
        File.WriteAllText(list, JsonSerializer.Serialize(jobs.Select(j => new { script = j.Script, args = j.Args })));
        var (code, output) = TestPython.Run(python, [driver, list], timeout);
        var results = new Dictionary<string, (int, string)>(StringComparer.Ordinal);
        string? current = null;
        var text = new System.Text.StringBuilder();
        foreach (var line in output.Split('\n'))
        {
            if (line.StartsWith("BEGIN ", StringComparison.Ordinal)) { current = line[6..]; text.Clear(); continue; }
            if (line.StartsWith("END ", StringComparison.Ordinal) && current is not null)
            {
                results[current] = (int.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture), text.ToString());
                current = null;
                continue;
            }
            text.AppendLine(line);
        }
        foreach (var j in jobs)
            if (!results.ContainsKey(j.Script)) results[j.Script] = (-1, $"the Python process ended (exit {code}) before this script finished:\n{output}");
        return results;
    }

    /// <summary>
    /// What a comparison found: the largest relative difference of any element (|a - b| / max(|a|, |b|),
    /// of pairs not both below <see cref="NoiseFloor"/>), where, and every mismatch beyond the tolerance (empty when equal).
    /// </summary>
    public sealed record Comparison(double Largest, string Where, List<string> Problems)
    {
        public string Summary => $"largest relative difference {Largest.ToString("G3", CultureInfo.InvariantCulture)}{(Where.Length > 0 ? $" ({Where})" : "")}";
    }

    /// <summary>
    /// Two values both below this magnitude pass whatever their relative difference: both are
    /// rounding noise of a value that is 0 in exact arithmetic (the gradient of a bias in front of
    /// batch_norm, 1e-18 with either sign), which no relative tolerance can compare.
    /// </summary>
    public const double NoiseFloor = 1e-15;

    private sealed record Line(string Key, string Phase, string Op, string Expr, string? Mode, string Shape, Dictionary<string, double[]> Numbers);

    private static List<Line> Read(string path)
    {
        var lines = new List<Line>();
        foreach (var text in File.ReadLines(path))
        {
            using var doc = JsonDocument.Parse(text);
            var r = doc.RootElement;
            var numbers = new Dictionary<string, double[]>(StringComparer.Ordinal);
            foreach (var field in new[] { "old", "grad", "values" })
                if (r.TryGetProperty(field, out var a))
                    numbers[field] = [.. a.EnumerateArray().Select(x => x.ValueKind == JsonValueKind.String
                        ? x.GetString() switch { "NaN" => double.NaN, "Infinity" => double.PositiveInfinity, _ => double.NegativeInfinity }
                        : x.GetDouble())];
            string phase = r.GetProperty("phase").GetString()!;
            lines.Add(new Line($"{phase} step {r.GetProperty("step").GetInt32()} {r.GetProperty("name").GetString()}", phase,
                r.GetProperty("op").GetString()!, r.GetProperty("expr").GetString()!,
                r.TryGetProperty("mode", out var m) ? m.GetString() : null, r.GetProperty("shape").GetRawText(), numbers));
        }
        return lines;
    }

    /// <summary>
    /// Two traces record for record: the same records (phase, step, name) in the same order with
    /// the same op, expression, mode and shape, and every number within <paramref name="rtol"/>
    /// of the other relative to the larger of the two; a difference below 1e-14 of the record's
    /// largest magnitude passes as rounding noise around zero (a cancellation NetSpec and torch
    /// order differently).
    /// </summary>
    public static Comparison CompareTraces(string expected, string actual, double rtol = 1e-10)
    {
        var a = Read(expected);
        var b = Read(actual);
        var problems = new List<string>();
        double largest = 0;
        string where = "";
        if (a.Count != b.Count) problems.Add($"{a.Count} records in NetSpec's trace, {b.Count} in the script's");
        for (int i = 0; i < Math.Min(a.Count, b.Count); i++)
        {
            var (x, y) = (a[i], b[i]);
            if (x.Key != y.Key)
            {
                problems.Add($"record {i + 1}: NetSpec's is '{x.Key}', the script's '{y.Key}'");
                break;
            }
            if (x.Op != y.Op || x.Expr != y.Expr || x.Mode != y.Mode || x.Shape != y.Shape)
                problems.Add($"{x.Key}: op/expr/mode/shape '{x.Op}' '{x.Expr}' {x.Mode} {x.Shape} against '{y.Op}' '{y.Expr}' {y.Mode} {y.Shape}");
            foreach (var (field, xs) in x.Numbers)
            {
                if (!y.Numbers.TryGetValue(field, out var ys) || ys.Length != xs.Length)
                {
                    problems.Add($"{x.Key}: '{field}' missing or of another length in the script's trace");
                    continue;
                }
                var (raw, rawAt, rel, at) = Largest(xs, ys);
                if (raw > largest) (largest, where) = (raw, $"{x.Key} {field}[{rawAt}]: {xs[rawAt]:R} against {ys[rawAt]:R}");
                if (rel > rtol) problems.Add($"{x.Key} {field}[{at}]: {xs[at]:R} against {ys[at]:R} (relative {rel:G3})");
            }
        }
        return new Comparison(largest, where, problems);
    }

    /// <summary>Two sets of parameters, by name, as <see cref="CompareTraces"/> compares numbers.</summary>
    public static Comparison CompareParameters(IReadOnlyDictionary<string, double[]> expected, IReadOnlyDictionary<string, double[]> actual, double rtol = 1e-10)
    {
        var problems = new List<string>();
        double largest = 0;
        string where = "";
        foreach (var (name, xs) in expected)
        {
            if (!actual.TryGetValue(name, out var ys) || ys.Length != xs.Length)
            {
                problems.Add($"parameter '{name}' missing or of another size");
                continue;
            }
            var (raw, rawAt, rel, at) = Largest(xs, ys);
            if (raw > largest) (largest, where) = (raw, $"{name}[{rawAt}]: {xs[rawAt]:R} against {ys[rawAt]:R}");
            if (rel > rtol) problems.Add($"{name}[{at}]: {xs[at]:R} against {ys[at]:R} (relative {rel:G3})");
        }
        if (actual.Keys.Except(expected.Keys).FirstOrDefault() is { } extra) problems.Add($"parameter '{extra}' only in the script's");
        return new Comparison(largest, where, problems);
    }

    /// <summary>
    /// The largest relative difference of two arrays and its index, of every pair not both below the
    /// <see cref="NoiseFloor"/> (Raw, reported) and as the tolerance judges it (Checked: a
    /// difference below 1e-14 of the arrays' largest magnitude, a cancellation the two order
    /// differently, counts as 0 too).
    /// </summary>
    private static (double Raw, int RawAt, double Checked, int At) Largest(double[] xs, double[] ys)
    {
        double scale = 0;
        for (int i = 0; i < xs.Length; i++) scale = Math.Max(scale, Math.Max(Math.Abs(xs[i]), Math.Abs(ys[i])));
        double raw = 0, worst = 0;
        int rawAt = 0, at = 0;
        for (int i = 0; i < xs.Length; i++)
        {
            double x = xs[i], y = ys[i];
            if (x.Equals(y)) continue;
            double d = Math.Abs(x - y);
            double rel = double.IsNaN(d) ? double.PositiveInfinity : d / Math.Max(Math.Abs(x), Math.Abs(y));
            if (Math.Max(Math.Abs(x), Math.Abs(y)) <= NoiseFloor) continue;
            if (rel > raw) (raw, rawAt) = (rel, i);
            if (!double.IsNaN(d) && d <= 1e-14 * scale) continue;
            if (rel > worst) (worst, at) = (rel, i);
        }
        return (raw, rawAt, worst, at);
    }

    /// <summary>A parameters file's values by name.</summary>
    public static Dictionary<string, double[]> ReadParameters(string path) =>
        ParameterFile.Read(path).Parameters.ToDictionary(kv => kv.Key, kv => kv.Value.Values, StringComparer.Ordinal);

    /// <summary>A new empty folder under the temporary folder.</summary>
    public static string TempFolder(string prefix)
    {
        string dir = Path.Combine(Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        return dir;
    }
}
