using System.Reflection;
using System.Text;
using System.Text.Json;
using NetSpec.Runtime.Execution;
using NetSpec.Runtime.Graph;
using NetSpec.Runtime.Training;

namespace NetSpec.Runtime.Torch;

/// <summary>What <c>netspec export SPEC --pytorch FILE</c> writes, besides the choice of dtype.</summary>
public sealed record TorchExportOptions
{
    /// <summary>float32 (true), float64 (false), or the spec's dtype (null).</summary>
    public bool? Float32 { get; init; }

    /// <summary>Parameter values to start from (a NetSpec parameters file read back), by name; null for the spec's initial values.</summary>
    public IReadOnlyDictionary<string, ParameterFile.Entry>? Parameters { get; init; }
}

/// <summary>The exported script and the parameters file beside it.</summary>
/// <param name="Script">The Python script's text.</param>
/// <param name="ParametersFileName">The parameters file's name, in the script's folder (the script loads it from there).</param>
/// <param name="ParametersFile">The parameters file's bytes (NetSpec's parameters-file format).</param>
public sealed record TorchExport(string Script, string ParametersFileName, byte[] ParametersFile);

/// <summary>
/// The standalone PyTorch script of a spec (docs/export-pytorch.md): one readable Python file
/// (torch, numpy and the standard library) whose sections are, in order, the docstring, the
/// imports, NetSpec's runtime part 1 (its generators and trace writer), the network
/// (<see cref="TorchModule"/>: <c>class Net</c> with the spec's node names), <c>CONFIG</c>
/// (<see cref="TorchConfig"/>: what the spec runs) and NetSpec's runtime part 2 (parameters,
/// data, batch order, the steps or the training loop, the trace, DistributedDataParallel). The
/// parameters are written beside it in NetSpec's parameters-file format, exact for the dtype.
/// </summary>
public static class TorchScript
{
    /// <summary>The script for <paramref name="graph"/>, to be written at <paramref name="scriptPath"/> (data files are named relative to it).</summary>
    /// <exception cref="TorchExportException">An op of the graph has no faithful torch form, or the parameters do not fit the spec.</exception>
    public static TorchExport Export(NetworkGraph graph, string scriptPath, TorchExportOptions? options = null) =>
        Assemble(graph, scriptPath, options ?? new TorchExportOptions(), _ => TorchModule.Write(graph));

    internal static TorchExport Assemble(NetworkGraph graph, string scriptPath, TorchExportOptions options, Func<bool, string> net)
    {
        bool float32 = options.Float32 ?? graph.Spec.DType == Parser.Model.DType.Float32;
        string full = Path.GetFullPath(scriptPath);
        string folder = Path.GetDirectoryName(full) ?? ".";
        string parametersName = Path.GetFileNameWithoutExtension(full) + ".parameters.json";
        var values = ParameterValues(graph, options.Parameters);
        string module = net(float32);
        var config = TorchConfig.Build(graph, float32, folder, parametersName);

        var sb = new StringBuilder();
        sb.Append(Docstring(graph, Path.GetFileName(full), parametersName, float32, options.Parameters is not null));
        sb.Append("\nimport argparse\nimport csv\nimport json\nimport math\nimport os\nimport sys\n\nimport numpy as np\nimport torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n\n\n");
        sb.Append(Resource("runtime_part1.py"));
        sb.Append("\n\n# ---------------------------------------------------------------------------\n# The network\n# ---------------------------------------------------------------------------\n\n");
        sb.Append(module.TrimEnd()).Append("\n\n\n");
        sb.Append("# ---------------------------------------------------------------------------\n# What the spec runs\n# ---------------------------------------------------------------------------\n\n");
        sb.Append("CONFIG = ").Append(PythonLiteral.Write(config)).Append("\n\n\n");
        sb.Append(Resource("runtime_part2.py"));
        return new TorchExport(sb.ToString(), parametersName, ParametersBytes(graph, values, float32));
    }

    /// <summary>Every parameter's values: the spec's initial ones, or those of <paramref name="given"/> where it has them.</summary>
    private static List<(string Name, Shape Shape, double[] Values)> ParameterValues(NetworkGraph graph, IReadOnlyDictionary<string, ParameterFile.Entry>? given)
    {
        if (given is not null && ParameterFile.Mismatch(graph, given) is { } error) throw new TorchExportException(error);
        var list = new List<(string, Shape, double[])>();
        foreach (var v in graph.Values.Where(v => v.Kind == ValueKind.Parameter))
        {
            double[] values = v.Literal ?? (v.Init is { } init ? Initializers.Draw(init) : new double[v.Shape.Length]);
            if (given is not null && given.TryGetValue(v.Name, out var e)) values = e.Values;
            list.Add((v.Name, v.Shape, values));
        }
        return list;
    }

    private static byte[] ParametersBytes(NetworkGraph graph, List<(string Name, Shape Shape, double[] Values)> values, bool float32)
    {
        var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            if (float32) ParameterFile.WriteDocument<float>(w, graph.Spec.Name, [.. values.Select(p => (p.Name, Tensor<float>.FromDoubles(p.Shape, p.Values)))]);
            else ParameterFile.WriteDocument<double>(w, graph.Spec.Name, [.. values.Select(p => (p.Name, Tensor<double>.FromDoubles(p.Shape, p.Values)))]);
        }
        return stream.ToArray();
    }

    private static string Docstring(NetworkGraph graph, string script, string parametersName, bool float32, bool trained)
    {
        var spec = graph.Spec;
        string runs = spec.Training is { } t
            ? $"trains for {t.Epochs} epochs in batches of {t.BatchSize} with {spec.Optimizer!.Type.Name}, as `netspec run` does"
            : spec.Optimizer is { } o ? $"runs {graph.Steps} step{(graph.Steps == 1 ? "" : "s")} of {o.Type.Name} (forward, backward, update), as `netspec run` does"
            : graph.BackwardFrom >= 0 ? "runs one forward and backward pass, as `netspec run` does" : "runs one forward pass, as `netspec run` does";
        string description = spec.Description is { } d ? "\n" + Wrap(d.Trim(), 88) + "\n" : "";
        return $""""
            """{spec.Name}: the NetSpec spec {Path.GetFileName(spec.Path)} as a standalone PyTorch script.
            {description}
            {Wrap($"Written by `netspec export {Path.GetFileName(spec.Path)} --pytorch {script}`. The script {runs}, in {(float32 ? "float32" : "float64")}, starting from the {(trained ? "parameters given to the export" : "spec's initial parameters")} in {parametersName} (NetSpec's parameters-file format, beside this script).", 92)}

            Run it:
                python3 {script} [--trace TRACE.jsonl] [--parameters-out PARAMS.json] [--parameters FILE]
            On several processes (DistributedDataParallel; gloo on CPU, NCCL with CUDA):
                python3 -m torch.distributed.run --nproc_per_node=2 {script} [...]
            (`torchrun --nproc_per_node=2 {script}` where torch installs torchrun.)

            What it reproduces: NetSpec's batch order (its generator, ported below), data split and
            scaling, initial values, optimizer updates, learning-rate schedule, epochs, evaluation
            passes and trace format. In float64 its numbers equal NetSpec's to 1e-10 relative (only
            the order of the sums inside torch's kernels differs). See docs/export-pytorch.md.
            """

            """";
    }

    private static string Wrap(string text, int width)
    {
        var lines = new List<string>();
        var line = new StringBuilder();
        foreach (var word in text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.Length > 0 && line.Length + 1 + word.Length > width)
            {
                lines.Add(line.ToString());
                line.Clear();
            }
            if (line.Length > 0) line.Append(' ');
            line.Append(word.Replace("\"\"\"", "'''", StringComparison.Ordinal).Replace("\\", "\\\\", StringComparison.Ordinal));
        }
        if (line.Length > 0) lines.Add(line.ToString());
        return string.Join("\n", lines);
    }

    private static string Resource(string name)
    {
        var assembly = typeof(TorchScript).Assembly;
        using var stream = assembly.GetManifestResourceStream("NetSpec.Runtime.Torch." + name)
            ?? throw new InvalidOperationException($"the embedded resource {name} is missing");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }
}
