using System.Diagnostics;
using System.Globalization;
using NetSpec.Cli;
using NetSpec.Runtime.Training;

namespace NetSpec.Bench;

/// <summary>
/// curve: what the learning curve costs at the end of a training run, with the code netspec runs
/// (src/NetSpec.Cli/LearningCurve.cs is compiled into this program). The history comes from a
/// learning curve's CSV (as `netspec run specs/digits.yaml` writes it: 20 epochs). A process
/// measures its first picture once, cold (fonts, native renderer and code not yet loaded) or,
/// with --warm, after <see cref="LearningCurve.Warm"/> has run as netspec runs it while training;
/// then the median of --repeats further pictures (wall time, and for the PNG the process's processor time, which a loaded machine inflates less). Each figure is the PNG (plot built, rendered,
/// encoded, written atomically), then all three files as netspec writes them (PNG, CSV, and the SVG drawn on another thread meanwhile). Prints one JSON line.
/// With --baseline the PNG is drawn as before (ScottPlot's SavePng at 900 x 560: every PNG filter tried, zlib level 6).
/// Usage: curve &lt;history.csv&gt; [--warm] [--baseline] [--repeats R] [--dir FOLDER].
/// </summary>
internal static class CurveBench
{
    public static int Run(string[] args)
    {
        if (args.Length == 0)
        {
            Console.Error.WriteLine("usage: curve <history.csv> [--warm] [--repeats R] [--dir FOLDER]");
            return 64;
        }
        bool warm = args.Contains("--warm");
        _baseline = args.Contains("--baseline");
        int repeats = Option(args, "--repeats", 20);
        string dir = Array.IndexOf(args, "--dir") is int d and >= 0 ? args[d + 1] : Path.Combine(Path.GetTempPath(), "netspec-curve-bench");
        Directory.CreateDirectory(dir);
        var report = Read(args[0]);
        string png = Path.Combine(dir, "curve.png");
        double warmMs = 0;
        if (warm)
        {
            var w = Stopwatch.StartNew();
            LearningCurve.Warm();
            warmMs = w.Elapsed.TotalMilliseconds;
        }
        var (firstPng, firstRest) = Once(png, report);
        var pngs = new double[repeats];
        var rests = new double[repeats];
        for (int i = 0; i < repeats; i++) (pngs[i], rests[i]) = Once(png, report);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{{\"mode\": \"{(warm ? "warm" : "cold")}{(_baseline ? " baseline" : "")}\", \"warm_up_ms\": {warmMs:0.0}, \"first_png_ms\": {firstPng:0.0}, \"first_all_ms\": {firstRest:0.0}, " +
            $"\"png_ms_median\": {Median(pngs):0.0}, \"png_cpu_ms_median\": {Median([.. _pngCpu.Skip(1)]):0.0}, \"load_average\": {Load()}, \"all_ms_median\": {Median(rests):0.0}, \"png_bytes\": {new FileInfo(png).Length}, \"width\": {LearningCurve.Width}, \"height\": {LearningCurve.Height}, \"epochs\": {report.History.Count}}}"));
        return 0;
    }

    /// <summary>(PNG wall ms, all files wall ms); the PNG's processor time is added to <see cref="_pngCpu"/>.</summary>
    private static (double Png, double Other) Once(string png, TrainingReport report)
    {
        var process = Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        if (_baseline) NetSpec.Parser.Files.AtomicFile.WriteVia(png, temp => LearningCurve.Build("digits", report).SavePng(temp, 900, 560));
        else LearningCurve.WritePng(png, LearningCurve.Build("digits", report));
        double a = clock.Elapsed.TotalMilliseconds;
        process.Refresh();
        _pngCpu.Add((process.TotalProcessorTime - cpu).TotalMilliseconds);
        clock.Restart();
        LearningCurve.Write(png, "digits", report);
        return (a, clock.Elapsed.TotalMilliseconds);
    }

    private static readonly List<double> _pngCpu = [];
    private static bool _baseline;

    private static TrainingReport Read(string csv)
    {
        var history = new List<EpochMetrics>();
        foreach (var line in File.ReadLines(csv).Skip(1))
        {
            var f = line.Split(',');
            double? O(int i) => f[i].Length == 0 ? null : double.Parse(f[i], CultureInfo.InvariantCulture);
            history.Add(new EpochMetrics(int.Parse(f[0], CultureInfo.InvariantCulture), O(1)!.Value, O(2), O(3), O(4), O(5)!.Value, O(6)!.Value));
        }
        return new TrainingReport(history, 0.08, history.LastOrDefault()?.TrainAccuracy, false, 0);
    }

    private static string Load() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "null";

    private static int Option(string[] args, string name, int fallback) =>
        Array.IndexOf(args, name) is int i and >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;

    private static double Median(double[] v)
    {
        var s = v.Order().ToArray();
        return s.Length == 0 ? 0 : s[s.Length / 2];
    }
}
