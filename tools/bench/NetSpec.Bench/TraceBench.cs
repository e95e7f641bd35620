using System.Diagnostics;
using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.Json;
using NetSpec.Parser.Model;
using NetSpec.Parser.Yaml;
using NetSpec.Runtime;
using NetSpec.Runtime.Execution;
using NetSpec.Runtime.Graph;
using NetSpec.Runtime.Trace;
using NetSpec.Runtime.Training;

namespace NetSpec.Bench;

/// <summary>
/// trace: what tracing one optimizer step costs. The spec's first batch of training samples goes
/// through forward, backward and the update (as the trainer runs a step, data gradients off),
/// untraced, traced to a sink that drops every event, then with the full trace written as text (the layout of <c>netspec run</c>,
/// <c>--full-limit</c> as given, default 64) and as JSON lines (numbers formatted on every
/// processor, then on one thread), each to a file on disk (opened,
/// written, flushed and closed inside the clock). Prints one JSON line: the median time of each
/// over --repeats runs (after one warm-up), the ratios to the untraced step, the bytes written and
/// the trace's MB/s (bytes over the time the trace added).
/// Usage: trace &lt;spec&gt; [--dir FOLDER] [--repeats R] [--threads N] [--full-limit N] [--only text|json|json1]
/// (--only: the untraced step and that one trace, for profiling).
/// <c>trace --check-format [STRIDE]</c> instead checks the JSON trace's float32 numbers against the
/// float64 path (<c>double.TryFormat</c>): every STRIDE-th float32 bit pattern (default 1: all 2^32).
/// </summary>
internal static class TraceBench
{
    public static int Run(string[] args)
    {
        if (args.Length > 0 && args[0] == "--check-format")
            return CheckFormat(args.Length > 1 ? long.Parse(args[1], CultureInfo.InvariantCulture) : 1);
        if (args.Length > 0 && args[0] == "--check-single")
            return CheckSingle(args.Length > 1 ? long.Parse(args[1], CultureInfo.InvariantCulture) : 1);
        if (args.Length == 0)
        {
            Console.Error.WriteLine("usage: trace <spec> [--dir FOLDER] [--repeats R] [--threads N] [--full-limit N]");
            return 64;
        }
        var loaded = NetSpecEngine.Load(args[0], ParserLimits.Default with { AllowOutsidePaths = true });
        if (!loaded.Ok)
        {
            foreach (var d in loaded.Diagnostics.Items) Console.Error.WriteLine(d);
            return 2;
        }
        var o = new Settings(
            args[0],
            Option(args, "--dir") ?? Path.GetTempPath(),
            int.Parse(Option(args, "--repeats") ?? "5", CultureInfo.InvariantCulture),
            int.Parse(Option(args, "--threads") ?? "1", CultureInfo.InvariantCulture),
            int.Parse(Option(args, "--full-limit") ?? "64", CultureInfo.InvariantCulture),
            Option(args, "--only"));
        return loaded.Graph!.Spec.DType == DType.Float32 ? Measure<float>(loaded.Graph!, o) : Measure<double>(loaded.Graph!, o);
    }

    private sealed record Settings(string Spec, string Dir, int Repeats, int Threads, int FullLimit, string? Only);

    private static int Measure<T>(NetworkGraph graph, Settings o) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var interp = new Interpreter<T>(graph, new InterpreterOptions { DataGradients = false, Threads = o.Threads });
        var runner = new StepRunner<T>(interp);
        if (graph.Dataset is { } data && graph.Spec.Dataset is { } ds)
        {
            var x = interp.Value(ds.Inputs.Name).Data;
            var y = interp.Value(ds.Targets.Name).Data;
            for (int i = 0; i < x.Length; i++) x[i] = T.CreateChecked(data.Train.Features[i]);
            for (int i = 0; i < y.Length; i++) y[i] = T.CreateChecked(data.Train.Targets[i]);
        }
        int step = 0;
        void Step(ITraceSink? sink)
        {
            interp.Trace = sink;
            if (!runner.Step(++step)) throw new InvalidOperationException($"numeric fault at {runner.Fault?.Node}");
            interp.Trace = null;
        }
        string textPath = Path.Combine(o.Dir, "netspec-trace-bench.txt"), jsonPath = Path.Combine(o.Dir, "netspec-trace-bench.jsonl");
        double untraced = Median(o.Repeats, () => Step(null)), untracedCpu = _lastCpu;
        bool Runs(string name) => o.Only is null || o.Only == name;
        double discarded = o.Only is null ? Median(o.Repeats, () => Step(new Discard())) : 0;
        double text = !Runs("text") ? 0 : Median(o.Repeats, () =>
        {
            using var w = new StreamWriter(textPath, false, new UTF8Encoding(false), 1 << 16);
            Step(new TraceTextWriter(graph, o.FullLimit, w));
        });
        double textCpu = Runs("text") ? _lastCpu : 0;
        double json = !Runs("json") ? 0 : Median(o.Repeats, () =>
        {
            using var sink = TraceJson.ToFile(jsonPath);
            Step(sink);
        });
        double jsonCpu = Runs("json") ? _lastCpu : 0;
        double jsonOneThread = !Runs("json1") ? 0 : Median(o.Repeats, () =>
        {
            using var sink = TraceJson.ToFile(jsonPath, threads: 1);
            Step(sink);
        });
        double jsonOneThreadCpu = Runs("json1") ? _lastCpu : 0;
        long textBytes = File.Exists(textPath) ? new FileInfo(textPath).Length : 0, jsonBytes = File.Exists(jsonPath) ? new FileInfo(jsonPath).Length : 0;
        File.Delete(textPath);
        File.Delete(jsonPath);
        var result = new Dictionary<string, object?>
        {
            ["bench"] = "netspec_trace",
            ["spec"] = o.Spec,
            ["dtype"] = graph.Spec.DType.ToString().ToLowerInvariant(),
            ["threads"] = o.Threads,
            ["full_limit"] = o.FullLimit,
            ["repeats"] = o.Repeats,
            ["untraced_ms"] = Math.Round(untraced * 1e3, 2),
            ["discarded_ms"] = Math.Round(discarded * 1e3, 2),
            ["text_ms"] = Math.Round(text * 1e3, 2),
            ["json_ms"] = Math.Round(json * 1e3, 2),
            ["text_ratio"] = Math.Round(text / untraced, 3),
            ["json_ratio"] = Math.Round(json / untraced, 3),
            ["json_1_thread_ms"] = Math.Round(jsonOneThread * 1e3, 2),
            ["json_1_thread_ratio"] = Math.Round(jsonOneThread / untraced, 3),
            ["text_bytes"] = textBytes,
            ["json_bytes"] = jsonBytes,
            ["text_mb_per_s"] = Math.Round(textBytes / 1e6 / Math.Max(1e-9, text - untraced), 1),
            ["json_mb_per_s"] = Math.Round(jsonBytes / 1e6 / Math.Max(1e-9, json - untraced), 1),
            ["untraced_cpu_ms"] = Math.Round(untracedCpu * 1e3, 2),
            ["text_cpu_ms"] = Math.Round(textCpu * 1e3, 2),
            ["json_cpu_ms"] = Math.Round(jsonCpu * 1e3, 2),
            ["json_1_thread_cpu_ms"] = Math.Round(jsonOneThreadCpu * 1e3, 2),
            ["text_cpu_ratio"] = Math.Round(textCpu / untracedCpu, 3),
            ["json_1_thread_mb_per_cpu_s"] = Math.Round(jsonBytes / 1e6 / Math.Max(1e-9, jsonOneThreadCpu - untracedCpu), 1),
            ["processors"] = Environment.ProcessorCount,
            ["load_average"] = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : null,
        };
        Console.WriteLine(JsonSerializer.Serialize(result));
        return 0;
    }

    /// <summary>
    /// The JSON line of float32 values, written by the float32 path, against the line of the same
    /// values as float64 (the shortest round-trip form by <c>double.TryFormat</c>, the golden
    /// traces' form): every <paramref name="stride"/>-th bit pattern, in blocks on every processor.
    /// </summary>
    private static int CheckFormat(long stride)
    {
        const int Block = 1 << 16;
        long patterns = (1L << 32) / stride, blocks = (patterns + Block - 1) / Block, bad = 0, done = 0;
        var clock = Stopwatch.StartNew();
        Parallel.For(0L, blocks, b =>
        {
            long first = b * Block, count = Math.Min(Block, patterns - first);
            var singles = new List<float>((int)count);
            for (long i = 0; i < count; i++)
            {
                float f = BitConverter.UInt32BitsToSingle((uint)((first + i) * stride));
                if (float.IsFinite(f)) singles.Add(f);
            }
            float[] fs = [.. singles];
            double[] ds = [.. fs.Select(f => (double)f)];
            string a = TraceJson.Line(new TraceEvent(TracePhase.Forward, 1, "x", "data", "x", new Shape(fs.Length), new TraceValues(fs)));
            string d = TraceJson.Line(new TraceEvent(TracePhase.Forward, 1, "x", "data", "x", new Shape(ds.Length), new TraceValues(ds)));
            if (a != d)
            {
                Interlocked.Increment(ref bad);
                Console.Error.WriteLine($"check-format: block {b} (bit patterns from 0x{first * stride:X8}) differs");
            }
            if (Interlocked.Increment(ref done) % 4096 == 0) Console.Error.WriteLine($"check-format: {done} of {blocks} blocks, {clock.Elapsed.TotalSeconds:F0} s");
        });
        Console.WriteLine($"check-format: {patterns} bit patterns (stride {stride}), {blocks} blocks, {bad} differ, {clock.Elapsed.TotalSeconds:F1} s");
        return bad == 0 ? 0 : 1;
    }

    /// <summary>
    /// The float32 text of parameters files and checkpoints (<c>SingleText</c>) against
    /// <c>float.TryFormat</c>, .NET's own (what a JSON writer writes): every <paramref name="stride"/>-th
    /// finite bit pattern, in blocks on every processor; prints the first patterns that differ.
    /// </summary>
    private static int CheckSingle(long stride)
    {
        const int Block = 1 << 16;
        long patterns = (1L << 32) / stride, blocks = (patterns + Block - 1) / Block, bad = 0, done = 0, fast = 0;
        var clock = Stopwatch.StartNew();
        Parallel.For(0L, blocks, b =>
        {
            Span<byte> mine = stackalloc byte[32], theirs = stackalloc byte[32];
            long first = b * Block, count = Math.Min(Block, patterns - first), taken = 0;
            for (long i = 0; i < count; i++)
            {
                float f = BitConverter.UInt32BitsToSingle((uint)((first + i) * stride));
                if (!float.IsFinite(f)) continue;
                int n = SingleText.Format(f, mine);
                if (SingleText.TryFast(f, theirs, out _)) taken++;
                f.TryFormat(theirs, out int m, default, CultureInfo.InvariantCulture);
                if (n == m && mine[..n].SequenceEqual(theirs[..m])) continue;
                if (Interlocked.Increment(ref bad) <= 20)
                    Console.Error.WriteLine($"check-single: 0x{BitConverter.SingleToUInt32Bits(f):X8}: {System.Text.Encoding.ASCII.GetString(mine[..n])} against {System.Text.Encoding.ASCII.GetString(theirs[..m])}");
            }
            Interlocked.Add(ref fast, taken);
            if (Interlocked.Increment(ref done) % 8192 == 0) Console.Error.WriteLine($"check-single: {done} of {blocks} blocks, {clock.Elapsed.TotalSeconds:F0} s");
        });
        Console.WriteLine($"check-single: {patterns} bit patterns (stride {stride}), {bad} differ, {fast} on the fast path, {clock.Elapsed.TotalSeconds:F1} s");
        return bad == 0 ? 0 : 1;
    }

    /// <summary>A sink that drops every event: what tracing costs the interpreter itself.</summary>
    private sealed class Discard : ITraceSink
    {
        public void Emit(TraceEvent e)
        {
        }
    }

    /// <summary>The processor time (every thread of the process) of the last <see cref="Median"/>, its median: steadier than the wall time on a loaded machine.</summary>
    private static double _lastCpu;

    /// <summary>The median wall time of <paramref name="repeats"/> runs after one warm-up (and in <see cref="_lastCpu"/> the median processor time).</summary>
    private static double Median(int repeats, Action run)
    {
        run();
        var times = new List<double>();
        var cpu = new List<double>();
        using var self = Process.GetCurrentProcess();
        for (int i = 0; i < repeats; i++)
        {
            self.Refresh();
            var before = self.TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            run();
            times.Add(clock.Elapsed.TotalSeconds);
            self.Refresh();
            cpu.Add((self.TotalProcessorTime - before).TotalSeconds);
        }
        times.Sort();
        cpu.Sort();
        _lastCpu = cpu[cpu.Count / 2];
        return times[times.Count / 2];
    }

    private static string? Option(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
