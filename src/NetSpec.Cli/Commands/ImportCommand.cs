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
        var testData = new Option<string?>("--test-data") { Description = "An ONNX test data set (input_<j>.pb, output_<j>.pb: inputs become data, outputs expectations): its folder, or the folder holding test_data_set_0 (the model's folder)" };
        var cmd = new Command("import", "Turn an ONNX model of ops NetSpec knows into a spec") { model, output, testData };
        cmd.SetAction(r => Run(r.GetValue(model)!, r.GetValue(output), r.GetValue(testData), Console.Out, Console.Error));
        return cmd;
    }

    /// <summary>
    /// The test data set folder <paramref name="given"/> names: the folder itself when it holds
    /// input_0.pb or output_0.pb, else its test_data_set_0 (ONNX's layout: model.onnx beside
    /// test_data_set_0, test_data_set_1, ...; the first is used, and a note says so when there are
    /// more). An error when it is neither.
    /// </summary>
    internal static (string? Folder, string? Note, string? Error) TestDataFolder(string given)
    {
        string shown = NetSpec.Parser.Diagnostics.Excerpt.ClipPath(given);
        if (!Directory.Exists(given)) return (null, null, $"the folder '{shown}' does not exist");
        static bool IsSet(string dir) => File.Exists(Path.Combine(dir, "input_0.pb")) || File.Exists(Path.Combine(dir, "output_0.pb"));
        if (IsSet(given)) return (given, null, null);
        var sets = Directory.EnumerateDirectories(given, "test_data_set_*").Where(IsSet).Order(StringComparer.Ordinal).ToList();
        string first = Path.Combine(given, "test_data_set_0");
        if (!IsSet(first))
            return (null, null, sets.Count > 0
                ? $"'{shown}' holds {string.Join(", ", sets.Select(Path.GetFileName))} but no test_data_set_0: name the set's folder"
                : $"'{shown}' is not an ONNX test data set: it holds no input_0.pb or output_0.pb, and no test_data_set_0 folder that does");
        return (first, sets.Count > 1 ? $"using {Path.Combine(shown, "test_data_set_0")} (of {sets.Count} sets; a spec has one batch of data)" : null, null);
    }

    public static int Run(string modelPath, string? outputPath, string? testData, TextWriter stdout, TextWriter stderr)
    {
        if (!File.Exists(modelPath))
        {
            stderr.WriteLine($"netspec: the model file '{modelPath}' does not exist");
            return ExitCodes.Usage;
        }
        if (testData is not null)
        {
            var (folder, note, error) = TestDataFolder(testData);
            if (error is not null)
            {
                stderr.WriteLine($"netspec: --test-data: {error}");
                return ExitCodes.Usage;
            }
            if (note is not null) stderr.WriteLine($"netspec: --test-data: {note}");
            testData = folder;
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
