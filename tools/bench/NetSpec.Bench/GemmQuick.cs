using System.Diagnostics;
using System.Numerics;
using NetSpec.Runtime.Kernels;

namespace NetSpec.Bench;

/// <summary>
/// gemm-quick: times each shape without BenchmarkDotNet (median of several samples, each sample
/// long enough to be measurable) and prints GFLOP/s for NetSpec and, when present, OpenBLAS.
/// Options: --dtype float|double|both (default both), --threads 1,2 (default 1,2), --filter TEXT, --samples N,
/// --clock wall|thread (thread: 1-thread rows timed by the thread's processor time, for a loaded machine).
/// Rows of more than one thread pause 200 ms before each timed block, so that the other library's idle threads have
/// gone to sleep (see MeasureInterleaved).
/// </summary>
internal static class GemmQuick
{
    public static int Run(string[] args)
    {
        string dtype = Option(args, "--dtype") ?? "both";
        int[] threadCounts = (Option(args, "--threads") ?? "1,2").Split(',').Select(int.Parse).ToArray();
        string? filter = Option(args, "--filter");
        int samples = int.Parse(Option(args, "--samples") ?? "7");
        // --clock thread: time 1-thread rows by the calling thread's processor time, for a loaded machine.
        bool threadTime = Option(args, "--clock") == "thread";

        OpenBlas? blas = OpenBlas.TryLoad();
        Console.WriteLine(blas is null
            ? "OpenBLAS: not found (install libopenblas0-pthread to compare); NetSpec only."
            : $"OpenBLAS: {blas.Path}");
        Console.WriteLine($"Processors: {Environment.ProcessorCount}; samples per figure: {samples} (median; NetSpec and OpenBLAS timed in turn in each round; ratio = median of the rounds' ratios); GFLOP/s = 2*m*n*k / time.");
        if (threadTime)
        {
            Console.WriteLine("Clock: 1-thread rows by the calling thread's processor time (CLOCK_THREAD_CPUTIME_ID); 2-thread rows by wall time.");
        }
        Console.WriteLine();
        Console.WriteLine($"| {"shape",-30} | {"dtype",-6} | thr | {"NetSpec",8} | {"OpenBLAS",8} | {"ratio",5} |");
        Console.WriteLine($"|{new string('-', 32)}|{new string('-', 8)}|-----|{new string('-', 10)}|{new string('-', 10)}|{new string('-', 7)}|");

        foreach (GemmShape shape in GemmShape.All)
        {
            if (filter is not null && !shape.Name.Contains(filter, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }
            foreach (int threads in threadCounts)
            {
                if (dtype is "float" or "both")
                {
                    Row<float>(shape, threads, blas, samples, "float32", threadTime);
                }
                if (dtype is "double" or "both")
                {
                    Row<double>(shape, threads, blas, samples, "float64", threadTime);
                }
            }
        }
        return 0;
    }

    private static void Row<T>(GemmShape s, int threads, OpenBlas? blas, int samples, string dtypeName, bool threadTime)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var ops = new Operands<T>(s, seed: 42);
        var options = GemmOptions.WithThreads(threads);
        var calls = new List<Action>
        {
            () => Gemm.Multiply(s.TransA, s.TransB, s.M, s.N, s.K, T.One, ops.A, ops.Lda, ops.B, ops.Ldb, T.Zero, ops.C, ops.Ldc, options),
        };
        if (blas is not null)
        {
            blas.SetThreads(threads);
            calls.Add(() => ops.RunBlas(blas));
        }
        double[][] rates = MeasureInterleaved(s.Flops, samples, calls, threadTime && threads == 1, settle: threads > 1);
        double ours = Median(rates[0]);
        string theirs = "-", ratio = "-";
        if (blas is not null)
        {
            blas.SetThreads(1);
            theirs = Median(rates[1]).ToString("F1");
            // The median of the per-round ratios: each round times both back to back, so load swings reach them alike.
            ratio = Median(rates[0].Zip(rates[1], (x, y) => x / y).ToArray()).ToString("F2");
        }
        Console.WriteLine($"| {s.Name,-30} | {dtypeName,-6} | {threads,3} | {ours,8:F1} | {theirs,8} | {ratio,5} |");
    }

    /// <summary>
    /// GFLOP/s of each call in each of <paramref name="samples"/> rounds; a round times every call in turn, each
    /// repeated until it lasts about 20 ms (the repeat count fixed per call after a warm-up).
    /// </summary>
    private static double[][] MeasureInterleaved(double flops, int samples, List<Action> calls, bool threadTime, bool settle)
    {
        // With several threads, each block of calls starts after a pause: OpenBLAS's idle worker threads keep spinning
        // (sched_yield) for about 2^28 cycles after its last call, and on a 2-core machine that took a core from the next
        // block (NetSpec's 2-thread square 1024^3 product measured 81-84 GFLOP/s right after OpenBLAS's calls and 153-164
        // with OPENBLAS_THREAD_TIMEOUT=4). NetSpec's helpers block on an event after a short spin.
        void Settle()
        {
            if (settle)
            {
                Thread.Sleep(SettleMilliseconds);
            }
        }

        var sw = new ThreadClock(threadTime);
        var reps = new int[calls.Count];
        for (int c = 0; c < calls.Count; c++)
        {
            for (int i = 0; i < 3; i++)
            {
                calls[c]();
            }
            Settle();
            sw.Restart();
            int calibration = 0;
            do
            {
                calls[c]();
                calibration++;
            }
            while (sw.Seconds < 0.002);
            double once = sw.Seconds / calibration;
            reps[c] = (int)Math.Clamp(0.02 / once, 1, 1_000_000);
        }
        var rates = new double[calls.Count][];
        for (int c = 0; c < calls.Count; c++)
        {
            rates[c] = new double[samples];
        }
        for (int sample = 0; sample < samples; sample++)
        {
            for (int c = 0; c < calls.Count; c++)
            {
                Settle();
                sw.Restart();
                for (int r = 0; r < reps[c]; r++)
                {
                    calls[c]();
                }
                rates[c][sample] = flops * reps[c] / sw.Seconds / 1e9;
            }
        }
        return rates;
    }

    // Longer than OpenBLAS's default spin of 2^28 cycles at 2.4 GHz (110 ms).
    private const int SettleMilliseconds = 200;

    private static double Median(double[] values)
    {
        double[] sorted = [.. values];
        Array.Sort(sorted);
        return sorted[sorted.Length / 2];
    }

    private static string? Option(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}

/// <summary>Wall time, or the calling thread's user + system time (Linux CLOCK_THREAD_CPUTIME_ID), in seconds since Restart.</summary>
internal sealed class ThreadClock(bool threadTime)
{
    private readonly Stopwatch wall = new();
    private double start;

    public void Restart()
    {
        if (threadTime)
        {
            start = Now();
        }
        else
        {
            wall.Restart();
        }
    }

    public double Seconds => threadTime ? Now() - start : wall.Elapsed.TotalSeconds;

    private static unsafe double Now()
    {
        long* time = stackalloc long[2];
        if (clock_gettime(3, time) != 0)
        {
            throw new InvalidOperationException("clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed.");
        }
        return time[0] + time[1] * 1e-9;
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern unsafe int clock_gettime(int clock, long* time);
}

/// <summary>Random operands for one shape, tightly packed (lda = stored width).</summary>
internal sealed class Operands<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public readonly T[] A, B, C;
    public readonly int Lda, Ldb, Ldc;
    private readonly GemmShape shape;

    public Operands(GemmShape s, int seed)
    {
        shape = s;
        var rng = new Random(seed);
        Lda = s.TransA ? s.M : s.K;
        Ldb = s.TransB ? s.K : s.N;
        Ldc = s.N;
        A = Random(rng, s.M * s.K);
        B = Random(rng, s.K * s.N);
        C = new T[s.M * s.N];
    }

    private static T[] Random(Random rng, int length)
    {
        var data = new T[length];
        for (int i = 0; i < length; i++)
        {
            data[i] = T.CreateChecked(rng.NextDouble() * 2 - 1);
        }
        return data;
    }

    public void RunBlas(OpenBlas blas)
    {
        var s = shape;
        if (typeof(T) == typeof(float))
        {
            blas.Gemm(s.TransA, s.TransB, s.M, s.N, s.K, 1f, (float[])(object)A, Lda, (float[])(object)B, Ldb, 0f, (float[])(object)C, Ldc);
        }
        else
        {
            blas.Gemm(s.TransA, s.TransB, s.M, s.N, s.K, 1.0, (double[])(object)A, Lda, (double[])(object)B, Ldb, 0.0, (double[])(object)C, Ldc);
        }
    }
}
