using System.CommandLine;
using NetSpec.Onnx;
using NetSpec.Runtime;

namespace NetSpec.Cli.Commands;

/// <summary><c>netspec export &lt;spec&gt; --onnx model.onnx</c>: the network's inference graph as an ONNX model.</summary>
internal static class ExportCommand
{
    public static Command Create(CommonOptions common)
    {
        var spec = new Argument<string>("spec") { Description = "The spec file (YAML)" };
        var onnx = new Option<string>("--onnx") { Description = "The ONNX model file to write", Required = true };
        var f32 = new Option<bool>("--float32") { Description = "Write float32 tensors (default: the spec's dtype)" };
        var f64 = new Option<bool>("--float64") { Description = "Write float64 tensors (default: the spec's dtype)" };
        var keepLoss = new Option<bool>("--keep-loss") { Description = "Keep loss and regularization nodes; their targets become inputs" };
        var trained = new Option<bool>("--trained") { Description = "Run the optimizer's steps first and write the trained parameters" };
        var opset = new Option<int>("--opset") { Description = "The ONNX opset to declare (13 or newer)", DefaultValueFactory = _ => 17 }
            .Between(13, 23);
        var cmd = new Command("export", "Write the network as an ONNX model (inference graph; parameters as initializers)") { spec, onnx, f32, f64, keepLoss, trained, opset };
        common.AddTo(cmd);
        cmd.SetAction(r =>
        {
            if (r.GetValue(f32) && r.GetValue(f64))
            {
                Console.Error.WriteLine("netspec: --float32 and --float64 exclude each other");
                return ExitCodes.Usage;
            }
            var path = r.GetValue(spec)!;
            var loaded = NetSpecEngine.Load(path, common.Limits(r));
            Reporting.Diagnostics(Console.Error, loaded);
            if (!loaded.Ok) return ExitCodes.InvalidSpec;
            var options = new OnnxExportOptions
            {
                Float32 = r.GetValue(f32) ? true : r.GetValue(f64) ? false : null,
                KeepLoss = r.GetValue(keepLoss),
                Trained = r.GetValue(trained),
                Opset = r.GetValue(opset),
            };
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
            var output = r.GetValue(onnx)!;
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
        });
        return cmd;
    }
}
