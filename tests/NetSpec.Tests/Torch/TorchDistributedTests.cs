using System.Net;
using System.Net.Sockets;
using NetSpec.Tests.Onnx;
using static NetSpec.Tests.Torch.TorchExportHarness;

namespace NetSpec.Tests.Torch;

/// <summary>
/// The exported script under DistributedDataParallel: two processes on 127.0.0.1 (gloo, CPU)
/// started by <c>python3 -m torch.distributed.run</c>, each taking a contiguous share of every
/// batch, reach the single-process run's final parameters and NetSpec's (float64, 1e-10
/// relative), and rank 0 writes the same trace; the other rank writes nothing. The spec is iris
/// with batches of 13 (a test-only edit) so that the shares are unequal (7 and 6; the last batch
/// of 12, 6 and 6), which the weighting of each process's loss must get right.
/// </summary>
[TestClass]
[DoNotParallelize]
public sealed class TorchDistributedTests
{
    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>
    /// torch.distributed.run's arguments for <paramref name="processes"/> processes on this machine.
    /// Debian's torch 1.13 on Python 3.11 cannot read its own default "--redirects 0 --tee 0" (an
    /// IntFlag change of Python 3.11), so the output of the workers is redirected and teed explicitly.
    /// </summary>
    private static List<string> Launcher(int processes, string logs) =>
        ["-m", "torch.distributed.run", $"--nproc_per_node={processes}", "--master_addr", "127.0.0.1", "--master_port", FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
         "--redirects", "1", "--tee", "1", "--log_dir", logs];

    private static string Iris13(string text) => text.Replace("batch_size: 16 ", "batch_size: 13 ", StringComparison.Ordinal);

    [TestMethod]
    [Timeout(10 * 60 * 1000, CooperativeCancellation = true)]
    public void Two_processes_reach_the_single_process_run_s_parameters_and_NetSpec_s()
    {
        string python = Python();
        string folder = TempFolder("netspec-torch-ddp");
        var graph = Load("iris.yaml", Iris13);
        Assert.AreEqual(13, graph.Spec.Training!.BatchSize);
        string script = Path.Combine(folder, "iris.py");
        Export(graph, script);

        var netspec = RunNetSpec(graph, Path.Combine(folder, "netspec.jsonl"));
        var (code, output) = TestPython.Run(python, [script, "--trace", Path.Combine(folder, "single.jsonl"), "--parameters-out", Path.Combine(folder, "single.json")], TimeSpan.FromMinutes(5));
        Assert.AreEqual(0, code, output);
        string run = Path.Combine(folder, "ddp");
        Directory.CreateDirectory(run);
        (code, output) = TestPython.Run(python,
            [.. Launcher(2, Path.Combine(folder, "logs")), script, "--trace", Path.Combine(run, "ddp.jsonl"), "--parameters-out", Path.Combine(run, "ddp.json")],
            TimeSpan.FromMinutes(5));
        Assert.AreEqual(0, code, output);

        var single = ReadParameters(Path.Combine(folder, "single.json"));
        var ddp = ReadParameters(Path.Combine(run, "ddp.json"));
        var againstSingle = CompareParameters(single, ddp);
        var againstNetSpec = CompareParameters(netspec, ddp);
        var trace = CompareTraces(Path.Combine(folder, "netspec.jsonl"), Path.Combine(run, "ddp.jsonl"));
        Console.WriteLine($"2 processes against 1: {againstSingle.Summary}; against NetSpec: {againstNetSpec.Summary}; trace against NetSpec's: {trace.Summary}");
        Assert.IsEmpty(againstSingle.Problems, string.Join("\n", againstSingle.Problems));
        Assert.IsEmpty(againstNetSpec.Problems, string.Join("\n", againstNetSpec.Problems));
        Assert.IsEmpty(trace.Problems, string.Join("\n", trace.Problems.Take(20)));
        // Rank 0 wrote the trace and the parameters; rank 1 nothing (no second file, no temporary one left).
        CollectionAssert.AreEquivalent(new[] { "ddp.json", "ddp.jsonl" }, Directory.GetFiles(run).Select(Path.GetFileName).ToArray());
    }

    [TestMethod]
    [Timeout(10 * 60 * 1000, CooperativeCancellation = true)]
    public void Batch_norm_in_training_mode_is_refused_under_DDP_with_a_message()
    {
        string python = Python();
        string folder = TempFolder("netspec-torch-ddp-bn");
        var graph = Load("digits-bn-dropout.yaml");
        string script = Path.Combine(folder, "digits_bn.py");
        try
        {
            Export(graph, script);
        }
        catch (NetSpec.Runtime.Torch.TorchExportException e)
        {
            Assert.Fail($"digits-bn-dropout.yaml did not export: {e.Message}");
        }
        var (code, output) = TestPython.Run(python, [.. Launcher(2, Path.Combine(folder, "logs")), script, "--parameters-out", Path.Combine(folder, "out.json")], TimeSpan.FromMinutes(5));
        Assert.AreNotEqual(0, code, output);
        StringAssert.Contains(output, "cannot run under DistributedDataParallel: 'n1' is batch_norm in training mode");
        Assert.IsFalse(File.Exists(Path.Combine(folder, "out.json")));
    }
}
