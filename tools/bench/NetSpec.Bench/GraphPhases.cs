using System.Diagnostics;
using NetSpec.Parser;
using NetSpec.Parser.Diagnostics;
using NetSpec.Runtime.Execution;
using NetSpec.Runtime.Graph;

namespace NetSpec.Bench;

/// <summary>
/// graph: times each phase of checking and running a spec in one process, to find which one
/// grows faster than the graph: parsing (YAML and the spec model), building the graph, the
/// interpreter's constructor, one forward and one backward pass. The "yaml" column is a plain
/// YamlDotNet <c>YamlStream</c> load of the same text, for scale: the parser pre-scans the
/// events and then loads the stream, with its checks. Each phase runs twice, the first time
/// with the JIT; the second time is printed in milliseconds, as wall time and as the process's
/// CPU time (user + system, every thread; steadier than wall time on a loaded machine), with
/// the megabytes allocated.
/// tools/bench/graph-size.sh generates specs of growing size to feed it.
/// </summary>
internal static class GraphPhases
{
    private static readonly string[] Phases = ["yaml", "parse", "build", "interp", "forward", "backward"];

    public static int Run(string[] args)
    {
        if (args.Length == 0)
        {
            Console.Error.WriteLine("usage: graph <spec>...");
            return 64;
        }
        Console.WriteLine($"{"spec",-28} {"nodes",8} {"",6} {string.Join(" ", Phases.Select(p => $"{p,8}"))}");
        foreach (var path in args)
        {
            var wall = new double[Phases.Length];
            var cpu = new double[Phases.Length];
            var mb = new double[Phases.Length];
            int nodes = 0;
            for (int round = 0; round < 2; round++)
            {
                var d = new DiagnosticBag();
                var text = File.ReadAllText(path);
                NetworkGraph? graph = null;
                Interpreter<double>? interpreter = null;
                SpecParser.Result? parsed = null;
                Action[] phases =
                [
                    () => new YamlDotNet.RepresentationModel.YamlStream().Load(new StringReader(text)),
                    () => parsed = SpecParser.ParseFile(path, d),
                    () => graph = GraphBuilder.Build(parsed!.Document!, d),
                    () => interpreter = new Interpreter<double>(graph!),
                    () => interpreter!.Forward(1),
                    () => { if (graph!.BackwardFrom >= 0) interpreter!.Backward(1); },
                ];
                for (int p = 0; p < phases.Length; p++)
                {
                    GC.Collect();
                    GC.WaitForPendingFinalizers();
                    var process = Process.GetCurrentProcess();
                    var cpu0 = process.TotalProcessorTime;
                    long bytes0 = GC.GetTotalAllocatedBytes(precise: true);
                    var sw = Stopwatch.StartNew();
                    phases[p]();
                    wall[p] = sw.Elapsed.TotalMilliseconds;
                    process.Refresh();
                    cpu[p] = (process.TotalProcessorTime - cpu0).TotalMilliseconds;
                    mb[p] = (GC.GetTotalAllocatedBytes(precise: true) - bytes0) / 1e6;
                    if (p == 1 && (parsed?.Document is null || d.HasErrors)) return Fail(path, d);
                    if (p == 2 && graph is null) return Fail(path, d);
                }
                nodes = graph!.Nodes.Count;
            }
            string Row(string what, double[] x) => $"{Path.GetFileName(path),-28} {nodes,8} {what,6} {string.Join(" ", x.Select(v => $"{v,8:F1}"))}";
            Console.WriteLine(Row("wall", wall));
            Console.WriteLine(Row("cpu", cpu));
            Console.WriteLine(Row("MB", mb));
        }
        return 0;
    }

    private static int Fail(string path, DiagnosticBag d)
    {
        Console.Error.WriteLine($"graph: {path} has errors:");
        foreach (var x in d.Items) Console.Error.WriteLine(x);
        return 2;
    }
}
