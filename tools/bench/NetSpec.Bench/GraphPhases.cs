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
/// events and then loads the stream, with its checks. Each phase runs twice, the
/// first time with the JIT; the second time is printed, in milliseconds, one line per spec.
/// tools/bench/graph-size.sh generates specs of growing size to feed it.
/// </summary>
internal static class GraphPhases
{
    public static int Run(string[] args)
    {
        if (args.Length == 0)
        {
            Console.Error.WriteLine("usage: graph <spec>...");
            return 64;
        }
        Console.WriteLine($"{"spec",-28} {"nodes",8} {"yaml",8} {"parse",8} {"build",8} {"interp",8} {"forward",8} {"backward",8}");
        foreach (var path in args)
        {
            NetworkGraph? graph = null;
            double yaml = 0, parse = 0, build = 0, ctor = 0, forward = 0, backward = 0;
            for (int round = 0; round < 2; round++)
            {
                var d = new DiagnosticBag();
                var text = File.ReadAllText(path);
                var sw = Stopwatch.StartNew();
                new YamlDotNet.RepresentationModel.YamlStream().Load(new StringReader(text));
                yaml = sw.Elapsed.TotalMilliseconds;
                sw.Restart();
                var parsed = SpecParser.ParseFile(path, d);
                parse = sw.Elapsed.TotalMilliseconds;
                if (parsed.Document is null || d.HasErrors) return Fail(path, d);
                sw.Restart();
                graph = GraphBuilder.Build(parsed.Document, d);
                build = sw.Elapsed.TotalMilliseconds;
                if (graph is null) return Fail(path, d);
                sw.Restart();
                var interpreter = new Interpreter<double>(graph);
                ctor = sw.Elapsed.TotalMilliseconds;
                sw.Restart();
                interpreter.Forward(1);
                forward = sw.Elapsed.TotalMilliseconds;
                sw.Restart();
                if (graph.BackwardFrom >= 0) interpreter.Backward(1);
                backward = sw.Elapsed.TotalMilliseconds;
            }
            Console.WriteLine($"{Path.GetFileName(path),-28} {graph!.Nodes.Count,8} {yaml,8:F1} {parse,8:F1} {build,8:F1} {ctor,8:F1} {forward,8:F1} {backward,8:F1}");
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
