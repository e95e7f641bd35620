using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Text.Json;
using NetSpec.Parser.Yaml;
using NetSpec.Runtime;
using NetSpec.Runtime.Execution;
using NetSpec.Runtime.Kernels;

namespace NetSpec.Bench;

/// <summary>
/// cnn: the convolution figures of docs/performance.md in one run, at 1 thread and float32:
/// (1) the processor's FMA peak (independent vector FMA chains, the widest vectors the GEMM
/// uses); (2) conv2d forward + backward on the LeNet shapes of specs/lenet-digits.yaml (batch 32:
/// conv 1 -> 8 3x3 padded on 8x8 images, weight and bias gradients; conv 8 -> 16 3x3 on 4x4,
/// weight, bias and input gradients), run by the interpreter (less the objective that sums their outputs, timed on its own), against the GEMM alone on the same
/// five matrix products (the same FLOPs, 1,474,560 per step); (3) the whole LeNet training
/// (TrainBench, epochs only) against ../shared/bench/peers/cnn_train_torch.py at 1 thread, run
/// just before it. Prints one JSON line per figure and a Markdown table.
/// Options: --repeats R (training runs, default 5), --peers DIR, --python PATH, --no-torch,
/// --conv-only (the FMA peak and the convolution figures, no training).
/// </summary>
internal static class CnnBench
{
    public static int Run(string[] args)
    {
        if (Environment.GetEnvironmentVariable("NETSPEC_CNN_PROFILE") is { } profile)
        {
            // A profiler's run: one step alone, nothing timed or printed.
            string name = profile.Split(':')[0];
            if (name is not ("conv" or "gemm" or "objective"))
            {
                Console.Error.WriteLine($"cnn: NETSPEC_CNN_PROFILE is '{profile}': give conv, gemm or objective, optionally :CALLS (e.g. conv:20000)");
                return 2;
            }
            ConvAgainstGemm();
            return 0;
        }
        int repeats = int.Parse(Option(args, "--repeats") ?? "5", CultureInfo.InvariantCulture);
        string peers = Option(args, "--peers") ?? Path.Combine("..", "shared", "bench", "peers");
        string python = Option(args, "--python") ?? "/usr/bin/python3";
        var rows = new List<(string Figure, string Value)>();

        double peak = FmaPeak();
        Emit(new() { ["bench"] = "fma_peak", ["gflops"] = peak, ["vector_bits"] = Vector512.IsHardwareAccelerated && Avx512F.IsSupported ? 512 : 256 });
        rows.Add(("FMA peak, 1 thread (float32)", $"{peak:F1} GFLOP/s"));

        var (convSeconds, gemmSeconds, convCpu, gemmCpu) = ConvAgainstGemm();
        double convGflops = Flops / convSeconds / 1e9, gemmGflops = Flops / gemmSeconds / 1e9;
        Emit(new()
        {
            ["bench"] = "conv_lenet", ["flops_per_step"] = Flops, ["conv_step_us"] = convSeconds * 1e6, ["conv_gflops"] = convGflops,
            ["gemm_step_us"] = gemmSeconds * 1e6, ["gemm_gflops"] = gemmGflops, ["conv_over_gemm_time"] = convSeconds / gemmSeconds,
            ["conv_step_cpu_us"] = convCpu * 1e6, ["gemm_step_cpu_us"] = gemmCpu * 1e6, ["conv_over_gemm_cpu"] = convCpu / gemmCpu,
        });
        rows.Add(("conv2d fwd + bwd, LeNet shapes, batch 32", $"{convSeconds * 1e6:F1} µs/step, {convGflops:F1} GFLOP/s (thread processor time {convCpu * 1e6:F1} µs)"));
        rows.Add(("the GEMM on the same 5 products", $"{gemmSeconds * 1e6:F1} µs/step, {gemmGflops:F1} GFLOP/s (thread processor time {gemmCpu * 1e6:F1} µs)"));
        rows.Add(("conv time / GEMM time (goal <= 1.5)", $"{convSeconds / gemmSeconds:F2} (processor time {convCpu / gemmCpu:F2})"));
        if (args.Contains("--conv-only")) return 0;

        // Whole training: NetSpec's epochs, then PyTorch's script, one after the other.
        var ours = Capture(() => TrainBench.Run(["specs/lenet-digits.yaml", "--threads", "1", "--repeats", repeats.ToString(CultureInfo.InvariantCulture)]));
        Console.WriteLine(ours);
        using var o = JsonDocument.Parse(ours);
        double ourSeconds = o.RootElement.GetProperty("train_seconds").GetDouble();
        rows.Add(("LeNet training, NetSpec (40 epochs, median)", $"{ourSeconds:F3} s, test accuracy {o.RootElement.GetProperty("test_accuracy").GetDouble():F4}"));
        if (!args.Contains("--no-torch"))
        {
            string script = Path.Combine(peers, "cnn_train_torch.py");
            var psi = new ProcessStartInfo(python, [script, "--threads", "1", "--repeats", repeats.ToString(CultureInfo.InvariantCulture)])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            // OpenBLAS reads these at load time: unset, it picks its kernel for this processor;
            // --openblas-coretype NAME names it where OpenBLAS does not know the processor (run.sh decides).
            psi.Environment.Remove("OPENBLAS_CORETYPE");
            psi.Environment.Remove("OPENBLAS_L2_SIZE");
            int ct = Array.IndexOf(args, "--openblas-coretype");
            if (ct >= 0 && ct + 1 < args.Length) psi.Environment["OPENBLAS_CORETYPE"] = args[ct + 1];
            using var p = Process.Start(psi)!;
            string stdout = p.StandardOutput.ReadToEnd(), stderr = p.StandardError.ReadToEnd();
            p.WaitForExit();
            string? line = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault();
            if (p.ExitCode != 0 || line is null)
            {
                Console.Error.WriteLine($"cnn: {script} failed: {stderr.Trim()}");
                rows.Add(("LeNet training, PyTorch", "failed (see stderr)"));
            }
            else
            {
                Console.WriteLine(line);
                using var t = JsonDocument.Parse(line);
                double torchSeconds = t.RootElement.GetProperty("train_seconds").GetDouble();
                rows.Add(($"LeNet training, PyTorch {t.RootElement.GetProperty("version").GetString()} (median)", $"{torchSeconds:F3} s, test accuracy {t.RootElement.GetProperty("test_accuracy").GetDouble():F4}"));
                rows.Add(("PyTorch time / NetSpec time (goal >= 2)", $"{torchSeconds / ourSeconds:F2}"));
            }
        }
        Console.WriteLine();
        Console.WriteLine($"Processors: {Environment.ProcessorCount}; load average before the run: {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
        Console.WriteLine("| figure | value |");
        Console.WriteLine("|---|---|");
        foreach (var (f, v) in rows) Console.WriteLine($"| {f} | {v} |");
        return 0;
    }

    /// <summary>Forward: 2·8·9·2048 + 2·16·72·128; backward: conv1's dW, conv2's dW and dX, the same sizes.</summary>
    private const double Flops = 5 * 294_912.0;

    private const string ConvSpec = """
        netspec: 1
        name: conv-lenet-shapes
        network:
          c1: {op: conv2d, x: x, W: K1, b: k1, padding: 1}
          c2: {op: conv2d, x: p, W: K2, b: k2}
          s1: {op: reduce_sum, x: c1}
          s2: {op: reduce_sum, x: c2}
          J: {op: sum, inputs: [s1, s2]}
        data:
          x: IMAGES
        parameters:
          K1: {init: uniform, shape: [8, 1, 3, 3], seed: 2}
          k1: {init: zeros, shape: [8]}
          p: {init: uniform, shape: [32, 8, 4, 4], seed: 3}
          K2: {init: uniform, shape: [16, 8, 3, 3], seed: 4}
          k2: {init: zeros, shape: [16]}
        backward:
          from: J
        """;

    /// <summary>The objective of <see cref="ConvSpec"/> alone, on parameters of the convolutions' output shapes: its cost is taken off the convolutions' time.</summary>
    private const string ObjectiveSpec = """
        netspec: 1
        name: conv-lenet-objective
        network:
          s1: {op: reduce_sum, x: c1}
          s2: {op: reduce_sum, x: c2}
          J: {op: sum, inputs: [s1, s2]}
        parameters:
          c1: {init: uniform, shape: [32, 8, 8, 8], seed: 1}
          c2: {init: uniform, shape: [32, 16, 2, 2], seed: 2}
        backward:
          from: J
        """;

    /// <summary>
    /// Seconds per step of the two convolutions (forward and backward, through the interpreter,
    /// less the same interpreter running only the objective that sums their outputs) and of the
    /// GEMM alone on their products.
    /// </summary>
    private static (double Conv, double Gemm, double ConvCpu, double GemmCpu) ConvAgainstGemm()
    {
        // Data cannot be drawn by an initializer: the 32 x 1 x 8 x 8 images are written out.
        var r0 = new Random(1);
        string Image() => "[[" + string.Join(", ", Enumerable.Range(0, 8).Select(_ => "[" + string.Join(", ", Enumerable.Range(0, 8).Select(_ => (r0.Next(17) / 16.0).ToString(CultureInfo.InvariantCulture))) + "]")) + "]]";
        string images = "[" + string.Join(", ", Enumerable.Range(0, 32).Select(_ => Image())) + "]";
        var loaded = NetSpecEngine.LoadText("conv-lenet-shapes.yaml", ConvSpec.Replace("IMAGES", images, StringComparison.Ordinal));
        if (!loaded.Ok) throw new InvalidOperationException(string.Join("\n", loaded.Diagnostics.Items));
        var interp = new Interpreter<float>(loaded.Graph!, new InterpreterOptions { DataGradients = false });
        var objective = new Interpreter<float>(NetSpecEngine.LoadText("conv-lenet-objective.yaml", ObjectiveSpec).Graph!, new InterpreterOptions { DataGradients = false });
        // The products conv2d runs (see Conv2d): Y = W col, dW += dY colᵀ, dcol = Wᵀ dY.
        var r = new Random(5);
        float[] Buf(int n) => [.. Enumerable.Range(0, n).Select(_ => (float)r.NextDouble())];
        float[] w1 = Buf(8 * 9), col1 = Buf(9 * 2048), y1 = Buf(8 * 2048), dw1 = Buf(8 * 9);
        float[] w2 = Buf(16 * 72), col2 = Buf(72 * 128), y2 = Buf(16 * 128), dw2 = Buf(16 * 72), dcol2 = Buf(72 * 128);
        var one = GemmOptions.Default;
        if (Environment.GetEnvironmentVariable("NETSPEC_CNN_PROFILE") is { } which)
        {
            // A profiler's run (perf record, perf stat): one of the three steps alone, conv, gemm or objective[:CALLS] (default 200,000 calls).
            string[] parts = which.Split(':');
            long calls = parts.Length > 1 ? long.Parse(parts[1], CultureInfo.InvariantCulture) : 200_000;
            which = parts[0];
            for (long i = 0; i < calls; i++)
                if (which == "gemm")
                {
                    Gemm.Multiply(false, false, 8, 2048, 9, 1f, w1, 9, col1, 2048, 0f, y1, 2048, one);
                    Gemm.Multiply(false, true, 8, 9, 2048, 1f, y1, 2048, col1, 2048, 1f, dw1, 9, one);
                    Gemm.Multiply(false, false, 16, 128, 72, 1f, w2, 72, col2, 128, 0f, y2, 128, one);
                    Gemm.Multiply(false, true, 16, 72, 128, 1f, y2, 128, col2, 128, 1f, dw2, 72, one);
                    Gemm.Multiply(true, false, 72, 128, 16, 1f, w2, 72, y2, 128, 0f, dcol2, 128, one);
                }
                else
                {
                    var step = which == "objective" ? objective : interp;
                    step.Forward(1);
                    step.Backward(1);
                }
            return (0, 0, 0, 0);
        }
        var (times, cpu) = Medians(
            () =>
            {
                interp.Forward(1);
                interp.Backward(1);
            },
            () =>
            {
                objective.Forward(1);
                objective.Backward(1);
            },
            () =>
            {
                Gemm.Multiply(false, false, 8, 2048, 9, 1f, w1, 9, col1, 2048, 0f, y1, 2048, one);
                Gemm.Multiply(false, true, 8, 9, 2048, 1f, y1, 2048, col1, 2048, 1f, dw1, 9, one);
                Gemm.Multiply(false, false, 16, 128, 72, 1f, w2, 72, col2, 128, 0f, y2, 128, one);
                Gemm.Multiply(false, true, 16, 72, 128, 1f, y2, 128, col2, 128, 1f, dw2, 72, one);
                Gemm.Multiply(true, false, 72, 128, 16, 1f, w2, 72, y2, 128, 0f, dcol2, 128, one);
            });
        return (times[0] - times[1], times[2], cpu[0] - cpu[1], cpu[2]);
    }

    /// <summary>
    /// Seconds per call of each step: after a 1 s warm-up of each, 21 rounds in which every step
    /// runs for about 20 ms in turn (so that a change in the machine's load reaches them alike),
    /// the median per step, in wall time and in the calling thread's processor time (which leaves
    /// out the time other processes held the core; on a loaded machine the steadier figure).
    /// </summary>
    private static (double[] Wall, double[] Cpu) Medians(params Action[] steps)
    {
        var per = new long[steps.Length];
        for (int k = 0; k < steps.Length; k++)
        {
            var warm = Stopwatch.StartNew();
            long calls = 0;
            while (warm.Elapsed.TotalSeconds < 1)
            {
                steps[k]();
                calls++;
            }
            per[k] = Math.Max(1, calls / 50);
        }
        var samples = steps.Select(_ => new List<double>()).ToArray();
        var cpu = steps.Select(_ => new List<double>()).ToArray();
        for (int round = 0; round < 21; round++)
            for (int k = 0; k < steps.Length; k++)
            {
                double c0 = ThreadCpuSeconds();
                var t = Stopwatch.StartNew();
                for (long i = 0; i < per[k]; i++) steps[k]();
                samples[k].Add(t.Elapsed.TotalSeconds / per[k]);
                cpu[k].Add((ThreadCpuSeconds() - c0) / per[k]);
            }
        static double[] Median(List<double>[] l) => [.. l.Select(v => v.Order().ElementAt(v.Count / 2))];
        return (Median(samples), Median(cpu));
    }

    private static unsafe readonly delegate* unmanaged[Cdecl]<int, long*, int> ClockGettime =
        (delegate* unmanaged[Cdecl]<int, long*, int>)NativeLibrary.GetExport(NativeLibrary.Load("libc.so.6"), "clock_gettime");

    /// <summary>The calling thread's processor time (clock_gettime CLOCK_THREAD_CPUTIME_ID; Linux).</summary>
    private static unsafe double ThreadCpuSeconds()
    {
        long* ts = stackalloc long[2];
        if (ClockGettime(3, ts) != 0) throw new InvalidOperationException("clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
        return ts[0] + ts[1] * 1e-9;
    }

    /// <summary>Float32 GFLOP/s of 12 independent FMA chains on the widest vectors (2 FLOPs per lane per FMA), the median of 7 samples.</summary>
    private static double FmaPeak()
    {
        const int Iterations = 4_000_000;
        bool wide = Vector512.IsHardwareAccelerated && Avx512F.IsSupported;
        int lanes = wide ? 16 : 8;
        var samples = new List<double>();
        for (int s = 0; s < 7; s++)
        {
            var t = Stopwatch.StartNew();
            float sink = wide ? Chains512(Iterations) : Chains256(Iterations);
            double seconds = t.Elapsed.TotalSeconds;
            if (sink == 12345f) Console.Error.WriteLine(sink);
            samples.Add(2.0 * lanes * 12 * Iterations / seconds / 1e9);
        }
        samples.Sort();
        return samples[samples.Count / 2];
    }

    private static float Chains512(int n)
    {
        var m = Vector512.Create(0.999999f);
        var a = Vector512.Create(1e-7f);
        Vector512<float> c0 = Vector512.Create(1f), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0, c8 = c0, c9 = c0, c10 = c0, c11 = c0;
        for (int i = 0; i < n; i++)
        {
            c0 = Avx512F.FusedMultiplyAdd(c0, m, a);
            c1 = Avx512F.FusedMultiplyAdd(c1, m, a);
            c2 = Avx512F.FusedMultiplyAdd(c2, m, a);
            c3 = Avx512F.FusedMultiplyAdd(c3, m, a);
            c4 = Avx512F.FusedMultiplyAdd(c4, m, a);
            c5 = Avx512F.FusedMultiplyAdd(c5, m, a);
            c6 = Avx512F.FusedMultiplyAdd(c6, m, a);
            c7 = Avx512F.FusedMultiplyAdd(c7, m, a);
            c8 = Avx512F.FusedMultiplyAdd(c8, m, a);
            c9 = Avx512F.FusedMultiplyAdd(c9, m, a);
            c10 = Avx512F.FusedMultiplyAdd(c10, m, a);
            c11 = Avx512F.FusedMultiplyAdd(c11, m, a);
        }
        return Vector512.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11);
    }

    private static float Chains256(int n)
    {
        var m = Vector256.Create(0.999999f);
        var a = Vector256.Create(1e-7f);
        Vector256<float> c0 = Vector256.Create(1f), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0, c8 = c0, c9 = c0, c10 = c0, c11 = c0;
        for (int i = 0; i < n; i++)
        {
            c0 = Fma.MultiplyAdd(c0, m, a);
            c1 = Fma.MultiplyAdd(c1, m, a);
            c2 = Fma.MultiplyAdd(c2, m, a);
            c3 = Fma.MultiplyAdd(c3, m, a);
            c4 = Fma.MultiplyAdd(c4, m, a);
            c5 = Fma.MultiplyAdd(c5, m, a);
            c6 = Fma.MultiplyAdd(c6, m, a);
            c7 = Fma.MultiplyAdd(c7, m, a);
            c8 = Fma.MultiplyAdd(c8, m, a);
            c9 = Fma.MultiplyAdd(c9, m, a);
            c10 = Fma.MultiplyAdd(c10, m, a);
            c11 = Fma.MultiplyAdd(c11, m, a);
        }
        return Vector256.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11);
    }

    /// <summary>What <paramref name="run"/> prints on standard output (its last line).</summary>
    private static string Capture(Func<int> run)
    {
        var saved = Console.Out;
        using var w = new StringWriter();
        Console.SetOut(w);
        try
        {
            if (run() != 0) throw new InvalidOperationException("the training benchmark failed");
        }
        finally
        {
            Console.SetOut(saved);
        }
        return w.ToString().Trim().Split('\n')[^1];
    }

    private static void Emit(Dictionary<string, object?> o) => Console.WriteLine(JsonSerializer.Serialize(o));

    private static string? Option(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
