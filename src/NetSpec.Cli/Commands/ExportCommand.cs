using System.CommandLine;
using NetSpec.Onnx;
using NetSpec.Runtime;
using NetSpec.Runtime.Torch;
using NetSpec.Runtime.Training;

namespace NetSpec.Cli.Commands;

/// <summary>
/// <c>netspec export &lt;spec&gt; --onnx model.onnx</c>: the network's inference graph as an ONNX model;
/// <c>netspec export &lt;spec&gt; --pytorch model.py</c>: a standalone PyTorch script that runs what the spec runs.
/// </summary>
internal static class ExportCommand
{
    public static Command Create(CommonOptions common)
    {
        var spec = new Argument<string>("spec") { Description = "The spec file (YAML)" };
        var onnx = new Option<string?>("--onnx") { Description = "The ONNX model file to write (the inference graph; parameters as initializers)" };
        var pytorch = new Option<string?>("--pytorch")
        {
            HelpName = "FILE",
            Description = "The PyTorch script to write: the network as an nn.Module and what the spec runs (its steps, or the training with NetSpec's data, batch order, "
                        + "optimizer and schedule), its parameters beside it (FILE without .py, then .parameters.json); see docs/export-pytorch.md",
        };
        var parameters = new Option<string?>("--parameters") { HelpName = "FILE", Description = "Write the values of this NetSpec parameters file (e.g. the ones a training wrote) instead of the spec's initial values: the ONNX model's initializers, or the PyTorch script's starting values" };
        var f32 = new Option<bool>("--float32") { Description = "Write float32 tensors (default: the spec's dtype)" };
        var f64 = new Option<bool>("--float64") { Description = "Write float64 tensors (default: the spec's dtype)" };
        var keepLoss = new Option<bool>("--keep-loss") { Description = "With --onnx: keep loss and regularization nodes; their targets become inputs" };
        var trained = new Option<bool>("--trained") { Description = "With --onnx: run the spec's optimizer steps first and write the parameters they give (for a training spec, export the file its training wrote with --parameters instead)" };
        var opset = new Option<int>("--opset") { Description = "With --onnx: the ONNX opset to declare (13 or newer)", DefaultValueFactory = _ => 17 }
            .Between(13, 23);
        var cmd = new Command("export", "Write the network as an ONNX model (inference graph; parameters as initializers) or as a standalone PyTorch script (--pytorch)")
        {
            spec, onnx, pytorch, parameters, f32, f64, keepLoss, trained, opset,
        };
        common.AddTo(cmd);
        cmd.SetAction(r =>
        {
            if (r.GetValue(f32) && r.GetValue(f64))
            {
                Console.Error.WriteLine("netspec: --float32 and --float64 exclude each other");
                return ExitCodes.Usage;
            }
            string? onnxPath = r.GetValue(onnx), torchPath = r.GetValue(pytorch);
            if ((onnxPath is null) == (torchPath is null))
            {
                Console.Error.WriteLine(onnxPath is null
                    ? "netspec: export needs one of --onnx FILE (an ONNX model) or --pytorch FILE (a PyTorch script)"
                    : "netspec: --onnx and --pytorch exclude each other: export one at a time");
                return ExitCodes.Usage;
            }
            if (torchPath is not null && (r.GetValue(keepLoss) || r.GetValue(trained) || r.GetResult(opset) is { Implicit: false }))
            {
                Console.Error.WriteLine("netspec: --keep-loss, --trained and --opset are for --onnx; a PyTorch script keeps the whole graph and runs the training itself (--parameters FILE starts it from trained values)");
                return ExitCodes.Usage;
            }
            if (onnxPath is not null && r.GetValue(parameters) is not null && r.GetValue(trained))
            {
                Console.Error.WriteLine("netspec: --parameters and --trained exclude each other: write the file's values, or the values the optimizer's steps give");
                return ExitCodes.Usage;
            }
            var path = r.GetValue(spec)!;
            bool? float32 = r.GetValue(f32) ? true : r.GetValue(f64) ? false : null;
            var loaded = NetSpecEngine.Load(path, common.Limits(r));
            Reporting.Diagnostics(Console.Error, loaded);
            if (!loaded.Ok) return ExitCodes.InvalidSpec;
            Dictionary<string, ParameterFile.Entry>? values = null;
            if (r.GetValue(parameters) is { } parametersPath && ReadParameters(parametersPath, out values) is { } failed) return failed;
            return torchPath is not null
                ? Torch(path, loaded, torchPath, values, float32)
                : Onnx(path, loaded, onnxPath!, new OnnxExportOptions
                {
                    Parameters = values,
                    Float32 = float32,
                    KeepLoss = r.GetValue(keepLoss),
                    Trained = r.GetValue(trained),
                    Opset = r.GetValue(opset),
                });
        });
        return cmd;
    }

    private static int Onnx(string path, LoadedSpec loaded, string output, OnnxExportOptions options)
    {
        byte[] bytes;
        try
        {
            bytes = OnnxExporter.ExportBytes(loaded.Graph!, options);
        }
        catch (OnnxExportException e)
        {
            Console.Error.WriteLine($"netspec: {path}: cannot export: {e.Message}");
            return ExitCodes.InvalidSpec;
        }
        try
        {
            NetSpec.Parser.Files.AtomicFile.WriteBytes(output, bytes);
        }
        catch (NetSpec.Parser.Files.OutputFileException e)
        {
            Console.Error.WriteLine($"netspec: {e.Message}");
            return ExitCodes.OutputError;
        }
        var model = global::Onnx.ModelProto.Parser.ParseFrom(bytes);
        Console.Out.WriteLine($"wrote {output}: {model.Graph.Node.Count} ONNX nodes, inputs {string.Join(", ", model.Graph.Input.Select(i => i.Name))}, " +
                              $"outputs {string.Join(", ", model.Graph.Output.Select(o => o.Name))}, {model.Graph.Initializer.Count} initializers, opset {options.Opset}");
        return ExitCodes.Success;
    }

    /// <summary>Reads <c>--parameters FILE</c>; an exit code when it cannot be read.</summary>
    private static int? ReadParameters(string parametersPath, out Dictionary<string, ParameterFile.Entry>? parameters)
    {
        parameters = null;
        if (!File.Exists(parametersPath))
        {
            Console.Error.WriteLine($"netspec: --parameters: the parameters file '{Parser.Diagnostics.Excerpt.ClipPath(parametersPath)}' does not exist");
            return ExitCodes.Usage;
        }
        try
        {
            parameters = ParameterFile.Read(parametersPath).Parameters;
            return null;
        }
        catch (Exception e) when (e is FormatException or IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"netspec: {Parser.Diagnostics.Excerpt.ClipPath(parametersPath)}: cannot read the parameters file: {Parser.Diagnostics.Excerpt.Message(e.Message)}");
            return ExitCodes.InvalidSpec;
        }
    }

    private static int Torch(string path, LoadedSpec loaded, string output, Dictionary<string, ParameterFile.Entry>? parameters, bool? float32)
    {
        TorchExport export;
        try
        {
            export = TorchScript.Export(loaded.Graph!, output, new TorchExportOptions { Float32 = float32, Parameters = parameters });
        }
        catch (TorchExportException e)
        {
            Console.Error.WriteLine($"netspec: {path}: cannot export to PyTorch: {e.Message}");
            return ExitCodes.InvalidSpec;
        }
        string parametersOut = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(output)) ?? ".", export.ParametersFileName);
        try
        {
            // Both files are written beside their targets, then renamed over them: nothing partial is left.
            using var script = NetSpec.Parser.Files.AtomicFile.Begin(output);
            using var values = NetSpec.Parser.Files.AtomicFile.Begin(parametersOut);
            script.Stream.Write(new System.Text.UTF8Encoding(false).GetBytes(export.Script));
            values.Stream.Write(export.ParametersFile);
            values.Commit();
            script.Commit();
        }
        catch (NetSpec.Parser.Files.OutputFileException e)
        {
            Console.Error.WriteLine($"netspec: {e.Message}");
            return ExitCodes.OutputError;
        }
        catch (IOException e)
        {
            // Writing failed after the files were opened (a full disk): neither target is touched.
            Console.Error.WriteLine($"netspec: cannot write '{Parser.Diagnostics.Excerpt.ClipPath(output)}': {Parser.Diagnostics.Excerpt.Message(e.Message)}");
            return ExitCodes.OutputError;
        }
        var graph = loaded.Graph!;
        Console.Out.WriteLine($"wrote {output} and {parametersOut}: {graph.Nodes.Count} nodes, " +
                              $"{graph.Values.Count(v => v.Kind == Runtime.Graph.ValueKind.Parameter)} parameters, {(float32 ?? graph.Spec.DType == Parser.Model.DType.Float32 ? "float32" : "float64")}; " +
                              $"run: python3 {output}");
        return ExitCodes.Success;
    }
}
