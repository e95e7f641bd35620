using System.CommandLine;
using NetSpec.Onnx;
using NetSpec.Runtime;

namespace NetSpec.Cli.Commands;

/// <summary><c>netspec import model.onnx -o spec.yaml [--test-data DIR]</c>: an ONNX model as a spec.</summary>
internal static class ImportCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("model") { Description = "The ONNX model file" };
        var output = new Option<string?>("--output", "-o") { Description = "The spec file to write (default: print it)" };
        var testData = new Option<string?>("--test-data") { Description = "An ONNX test data set folder (input_<j>.pb, output_<j>.pb): inputs become data, outputs expectations" };
        var cmd = new Command("import", "Turn an ONNX model of ops NetSpec knows into a spec") { model, output, testData };
        cmd.SetAction(r => Run(r.GetValue(model)!, r.GetValue(output), r.GetValue(testData), Console.Out, Console.Error));
        return cmd;
    }

    public static int Run(string modelPath, string? outputPath, string? testData, TextWriter stdout, TextWriter stderr)
    {
        if (!File.Exists(modelPath))
        {
            stderr.WriteLine($"netspec: the model file '{modelPath}' does not exist");
            return ExitCodes.Usage;
        }
        string text;
        try
        {
            text = OnnxImporter.ImportFile(modelPath, testData);
        }
        catch (OnnxImportException e)
        {
            stderr.WriteLine($"netspec: {modelPath}: cannot import: {e.Message}");
            return ExitCodes.InvalidSpec;
        }
        catch (IOException e)
        {
            stderr.WriteLine($"netspec: cannot read '{modelPath}': {e.Message}");
            return ExitCodes.Usage;
        }
        // The spec must be valid as a whole before anything is written.
        var loaded = NetSpecEngine.LoadText(outputPath ?? "imported.yaml", text);
        if (!loaded.Ok)
        {
            stderr.WriteLine($"netspec: {modelPath}: the model converts, but NetSpec cannot run it as it is:");
            Reporting.Diagnostics(stderr, loaded);
            return ExitCodes.InvalidSpec;
        }
        if (outputPath is null)
        {
            stdout.Write(text);
            return ExitCodes.Success;
        }
        try
        {
            NetSpec.Parser.Files.AtomicFile.WriteText(outputPath, text);
        }
        catch (NetSpec.Parser.Files.OutputFileException e)
        {
            stderr.WriteLine($"netspec: {e.Message}");
            return ExitCodes.OutputError;
        }
        var g = loaded.Graph!;
        stdout.WriteLine($"wrote {outputPath}: {g.Nodes.Count} node{(g.Nodes.Count == 1 ? "" : "s")}, {g.Expectations.Count} expectation{(g.Expectations.Count == 1 ? "" : "s")}");
        return ExitCodes.Success;
    }
}
