using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using NetSpec.Parser.Yaml;
using NetSpec.Runtime;
using NetSpec.Runtime.Training;

namespace NetSpec.Bench;

/// <summary>
/// scaling: MLP training on digits (64-W-W-10, ReLU, softmax cross-entropy plus L2 of every
/// weight, sgd 0.1, lambda 1e-4, float32), for every width W and batch size B of a grid, NetSpec
/// against the numpy peer (mlp_train_numpy.py, the same architecture, data split and
/// hyperparameters) in one run. Each cell runs both sides with the same epochs, one after the
/// other (which goes first alternates from cell to cell), and takes each side's median of
/// --repeats trainings (the epochs only, as TrainBench and the peer time them); the epochs shrink
/// for the slow cells so that the whole grid takes a few minutes. Prints a markdown table of
/// samples per second and ratios, then one JSON line per cell.
/// Options: --widths 64,128,256,512,1024 --batches 1,8,32,128,256 --threads 1 --repeats 3
/// --epochs-scale 1 --peers DIR (the peer scripts) --python /usr/bin/python3 --no-peer
/// --openblas-coretype NAME (the peer runs with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset, as
/// run.sh runs every peer; this sets the first, for a host whose OpenBLAS detects no kernel of its
/// own and falls back to Prescott's). The table says which kernel the peer ran.
/// </summary>
internal static class ScalingBench
{
    /// <summary>Epochs per cell: about the same time for every cell (batch 1 and the wide layers cost most per sample).</summary>
    internal static int Epochs(int width, int batch, double scale)
    {
        double e = width switch { <= 64 => 20, <= 128 => 10, <= 256 => 4, <= 512 => 2, _ => 1 };
        if (batch >= 128 && width >= 256) e *= 2;
        if (batch == 1) e = Math.Max(1, e / 2);
        return Math.Max(1, (int)Math.Round(e * scale));
    }

    public static int Run(string[] args)
    {
        int[] widths = Ints(Option(args, "--widths") ?? "64,128,256,512,1024");
        int[] batches = Ints(Option(args, "--batches") ?? "1,8,32,128,256");
        int threads = int.Parse(Option(args, "--threads") ?? "1", CultureInfo.InvariantCulture);
        int repeats = int.Parse(Option(args, "--repeats") ?? "3", CultureInfo.InvariantCulture);
        double scale = double.Parse(Option(args, "--epochs-scale") ?? "1", CultureInfo.InvariantCulture);
        string python = Option(args, "--python") ?? "/usr/bin/python3";
        string? coreType = Option(args, "--openblas-coretype");
        string root = Root();
        string peers = Option(args, "--peers") ?? Path.Combine(root, "..", "shared", "bench", "peers");
        string peer = Path.Combine(peers, "mlp_train_numpy.py");
        bool withPeer = !args.Contains("--no-peer") && File.Exists(peer);
        if (!withPeer && !args.Contains("--no-peer")) Console.Error.WriteLine($"scaling: no peer at {peer}: NetSpec only");
        string specDir = Path.Combine(root, "specs");

        var clock = Stopwatch.StartNew();
        // Warm-up: the JIT's tiers reach their steady state on the code every cell runs.
        var warm = Stopwatch.StartNew();
        do TrainOnce(specDir, 64, 32, 1, threads); while (warm.Elapsed.TotalSeconds < 2);

        var table = new StringBuilder();
        table.AppendLine(CultureInfo.InvariantCulture, $"MLP 64-W-W-10 on digits (1438 training samples), float32, {threads} thread{(threads == 1 ? "" : "s")}, median of {repeats}; samples/s of training (epochs only)");
        table.AppendLine();
        table.AppendLine("| width | batch | epochs | NetSpec samples/s | numpy samples/s | ratio | numpy's OpenBLAS kernel |");
        table.AppendLine("|------:|------:|-------:|------------------:|----------------:|------:|---|");
        var lines = new List<string>();
        double worst = double.PositiveInfinity;
        string worstCell = "";
        int cell = 0;
        foreach (int w in widths)
            foreach (int b in batches)
            {
                int epochs = Epochs(w, b, scale);
                double? numpy = null, netspec = null;
                string? blas = null;
                void Ours()
                {
                    TrainOnce(specDir, w, b, 1, threads); // this cell's interpreters and buffers, once
                    var times = new List<double>();
                    for (int r = 0; r < repeats; r++) times.Add(TrainOnce(specDir, w, b, epochs, threads));
                    netspec = 1438.0 * epochs / Median(times);
                }
                void Theirs()
                {
                    if (!withPeer) return;
                    (numpy, blas) = Peer(python, peer, w, b, epochs, threads, repeats, coreType);
                }
                if (cell++ % 2 == 0) { Theirs(); Ours(); }
                else { Ours(); Theirs(); }
                double? ratio = numpy is { } n && n > 0 ? netspec / n : null;
                if (ratio is { } rr && rr < worst) (worst, worstCell) = (rr, $"{w} x batch {b}");
                table.AppendLine(CultureInfo.InvariantCulture,
                    $"| {w} | {b} | {epochs} | {netspec:N0} | {(numpy is { } nn ? nn.ToString("N0", CultureInfo.InvariantCulture) : "-")} | {(ratio is { } r2 ? r2.ToString("0.00", CultureInfo.InvariantCulture) + "x" : "-")} | {blas ?? "-"} |");
                lines.Add(JsonSerializer.Serialize(new Dictionary<string, object?>
                {
                    ["bench"] = "scaling",
                    ["width"] = w,
                    ["batch"] = b,
                    ["epochs"] = epochs,
                    ["threads"] = threads,
                    ["repeats"] = repeats,
                    ["netspec_samples_per_second"] = netspec,
                    ["numpy_samples_per_second"] = numpy,
                    ["ratio"] = ratio,
                    ["numpy_blas"] = blas,
                    ["loadavg"] = LoadAverage(),
                }));
                Console.Error.WriteLine($"scaling: {w} x {b}: {ratio?.ToString("0.00", CultureInfo.InvariantCulture) ?? "-"}x ({clock.Elapsed.TotalSeconds:0} s)");
            }
        Console.WriteLine(table.ToString());
        if (worstCell.Length > 0)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"worst ratio {worst:0.00}x at width {worstCell}; the whole grid took {clock.Elapsed.TotalSeconds:0} s; load average {LoadAverage()}"));
        Console.WriteLine();
        foreach (var l in lines) Console.WriteLine(l);
        return 0;
    }

    /// <summary>The spec of one cell: digits.yaml's network and settings with hidden width W twice, batch B and E epochs.</summary>
    internal static string Spec(int width, int batch, int epochs) => string.Create(CultureInfo.InvariantCulture, $$"""
        netspec: 1
        name: scaling-{{width}}-b{{batch}}
        dtype: float32
        dataset:
          file: data/digits-train.csv
          test_file: data/digits-test.csv
          separator: ','
          header: true
          label: label
          scale: 0.0625
          inputs: x
          targets: y
        network:
          z1: {op: linear, x: x, W: W1, b: b1}
          h1: {op: relu, x: z1}
          z2: {op: linear, x: h1, W: W2, b: b2}
          h2: {op: relu, x: z2}
          o: {op: linear, x: h2, W: W3, b: b3}
          L: {op: softmax_cross_entropy, x: o, y: y}
          S: {op: l2_regularization, weights: [W1, W2, W3], lambda: 1e-4}
          J: {op: sum, inputs: [L, S]}
        parameters:
          W1: {init: he_normal, shape: [{{width}}, 64], seed: 1}
          b1: {init: zeros, shape: [{{width}}]}
          W2: {init: he_normal, shape: [{{width}}, {{width}}], seed: 2}
          b2: {init: zeros, shape: [{{width}}]}
          W3: {init: he_normal, shape: [10, {{width}}], seed: 3}
          b3: {init: zeros, shape: [10]}
        backward: {from: J}
        optimizer: {type: sgd, learning_rate: 0.1}
        training:
          epochs: {{epochs}}
          batch_size: {{batch}}
          shuffle: true
          seed: 0
          accuracy_of: o
          trace: {steps: []}
        """);

    private static readonly Dictionary<(int, int, int), NetSpec.Runtime.Graph.NetworkGraph> Graphs = [];

    /// <summary>One training of a cell; the seconds of its epochs.</summary>
    private static double TrainOnce(string specDir, int width, int batch, int epochs, int threads)
    {
        if (!Graphs.TryGetValue((width, batch, epochs), out var graph))
        {
            var loaded = NetSpecEngine.LoadText(Path.Combine(specDir, $"scaling-{width}-b{batch}.yaml"), Spec(width, batch, epochs), ParserLimits.Default with { AllowOutsidePaths = true });
            if (!loaded.Ok) throw new InvalidOperationException(string.Join("\n", loaded.Diagnostics.Items));
            Graphs[(width, batch, epochs)] = graph = loaded.Graph!;
        }
        var (report, fault) = new Trainer<float>(graph, graph.Dataset!, new TrainingRunOptions { Threads = threads }).Train();
        if (fault is not null) throw new InvalidOperationException($"numeric fault at {fault.Node}");
        return report.History.Sum(e => e.Seconds);
    }

    /// <summary>The numpy peer's samples per second (its median of <paramref name="repeats"/>) and the BLAS it reports.</summary>
    private static (double? SamplesPerSecond, string? Blas) Peer(string python, string script, int width, int batch, int epochs, int threads, int repeats, string? coreType)
    {
        var psi = new ProcessStartInfo(python)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { script, "--dataset", "digits", "--hidden", $"{width},{width}", "--batch", $"{batch}", "--epochs", $"{epochs}",
                     "--lr", "0.1", "--lambda", "1e-4", "--threads", $"{threads}", "--dtype", "float32", "--seed", "0", "--repeats", $"{repeats}" })
            psi.ArgumentList.Add(a);
        // OpenBLAS reads these at load time; unset, it picks its kernel for this processor (as run.sh runs the peers).
        psi.Environment.Remove("OPENBLAS_CORETYPE");
        psi.Environment.Remove("OPENBLAS_L2_SIZE");
        if (coreType is not null) psi.Environment["OPENBLAS_CORETYPE"] = coreType;
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        string? line = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault(l => l.StartsWith('{'));
        if (p.ExitCode != 0 || line is null)
        {
            Console.Error.WriteLine($"scaling: the peer failed for {width} x {batch}: {stderr.Result.Trim()}");
            return (null, null);
        }
        using var doc = JsonDocument.Parse(line);
        var r = doc.RootElement;
        // The OpenBLAS kernel threadpoolctl reports (its "architecture").
        string? blas = null;
        if (r.TryGetProperty("blas", out var b) && b.ValueKind == JsonValueKind.Array)
            foreach (var lib in b.EnumerateArray())
                if (lib.TryGetProperty("internal_api", out var api) && api.GetString() == "openblas" && lib.TryGetProperty("architecture", out var arch))
                    blas = arch.GetString();
        return (r.GetProperty("samples_per_second").GetDouble(), blas);
    }

    private static double Median(List<double> v)
    {
        v.Sort();
        return v.Count % 2 == 1 ? v[v.Count / 2] : (v[v.Count / 2 - 1] + v[v.Count / 2]) / 2;
    }

    private static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "";
        }
    }

    /// <summary>The repository root: the first directory up from here with specs/digits.yaml.</summary>
    private static string Root()
    {
        for (var d = new DirectoryInfo(Directory.GetCurrentDirectory()); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "specs", "digits.yaml"))) return d.FullName;
        return Directory.GetCurrentDirectory();
    }

    private static int[] Ints(string s) => [.. s.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(v => int.Parse(v, CultureInfo.InvariantCulture))];

    private static string? Option(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
