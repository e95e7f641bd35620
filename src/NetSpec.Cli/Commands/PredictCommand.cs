using System.CommandLine;
using System.Globalization;
using System.Text;
using NetSpec.Parser.Diagnostics;
using NetSpec.Parser.Files;
using NetSpec.Runtime;
using NetSpec.Runtime.Graph;
using NetSpec.Runtime.Training;

namespace NetSpec.Cli.Commands;

/// <summary>
/// <c>netspec predict SPEC --input rows.csv [--parameters FILE] [-o out.csv]</c>: the trained
/// network's outputs for raw rows (probabilities for a classifier) and the predicted class,
/// one CSV row per input row, the rows scaled with the preprocessing saved at training time.
/// </summary>
internal static class PredictCommand
{
    public static Command Create(CommonOptions common)
    {
        var spec = new Argument<string>("spec") { Description = "The training spec whose network predicts (YAML)" };
        var input = new Option<string>("--input", "-i")
        {
            Description = "The rows to predict: a CSV file laid out as the spec's data set file (same separator and header), with or without the label column (ignored)",
            Required = true,
        };
        var parameters = new Option<string?>("--parameters") { Description = "The trained-parameters file (default: the spec's 'training: outputs: parameters', written by 'netspec run SPEC')" };
        var output = new Option<string?>("--output", "-o") { Description = "Write the predictions to this CSV file (atomically) instead of stdout" };
        var threads = new Option<int>("--threads") { Description = "Most threads a matrix product may use", DefaultValueFactory = _ => 1 }.Between(1, RunCommand.MaxThreads);
        var cmd = new Command("predict",
            "Predict raw rows with a trained network: one CSV row per input row with each class's probability (the softmax of the scores for a softmax " +
            "cross-entropy loss; the scores otherwise) and the predicted class; the rows are scaled as at training time (saved in the parameters file)")
        {
            spec, input, parameters, output, threads,
        };
        common.AddTo(cmd);
        cmd.SetAction(r => Run(r.GetValue(spec)!, r.GetValue(input)!, r.GetValue(parameters), r.GetValue(output), r.GetValue(threads), common.Limits(r)));
        return cmd;
    }

    public static int Run(string specPath, string inputPath, string? parametersPath, string? outputPath, int threads, NetSpec.Parser.Yaml.ParserLimits limits)
    {
        var (code, network, rows) = Open(specPath, inputPath, parametersPath, labels: false, limits, out _);
        if (network is null || rows is null) return code;
        var p = network.Predict(rows, threads: threads);
        if (p.Fault is { } fault)
        {
            Reporting.Fault(Console.Error, fault);
            return ExitCodes.NumericFault;
        }
        var classes = network.Preprocessing.Classes;
        var sb = new StringBuilder();
        string prefix = network.Kind == OutputKind.Probabilities ? "prob_" : "score_";
        sb.AppendJoin(',', classes.Select(c => Csv(prefix + c)).Append("class")).Append('\n');
        for (int r = 0; r < p.Rows; r++)
        {
            for (int j = 0; j < p.Classes; j++) sb.Append(p.Outputs[r * p.Classes + j].ToString("R", CultureInfo.InvariantCulture)).Append(',');
            sb.Append(Csv(classes[p.Predicted[r]])).Append('\n');
        }
        if (outputPath is null)
        {
            Console.Out.Write(sb.ToString());
            return ExitCodes.Success;
        }
        try
        {
            AtomicFile.WriteText(outputPath, sb.ToString());
        }
        catch (OutputFileException e)
        {
            Console.Error.WriteLine($"netspec: {e.Message}");
            return ExitCodes.OutputError;
        }
        Console.Error.WriteLine($"predictions of {p.Rows} rows: {outputPath}");
        return ExitCodes.Success;
    }

    /// <summary>A CSV field, quoted when it holds a comma, a quote or a line break.</summary>
    internal static string Csv(string s) =>
        s.AsSpan().IndexOfAny(",\"\r\n") < 0 ? s : "\"" + s.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    /// <summary>
    /// What predict and evaluate share: the spec loaded, its trained parameters read (by default
    /// from the spec's training outputs), the network opened with them and the input rows read
    /// and scaled. On failure the diagnostics are printed and the exit code returned.
    /// </summary>
    internal static (int Code, TrainedNetwork? Network, InputRows? Rows) Open(string specPath, string inputPath, string? parametersPath, bool labels,
        NetSpec.Parser.Yaml.ParserLimits limits, out LoadedSpec? spec)
    {
        spec = NetSpecEngine.Load(specPath, limits);
        Reporting.Diagnostics(Console.Error, spec);
        if (!spec.Ok) return (ExitCodes.InvalidSpec, null, null);
        var graph = spec.Graph!;
        var doc = graph.Spec;
        if (doc.Training is null || doc.Dataset is null)
        {
            Console.Error.WriteLine($"netspec: {specPath} has no 'training' section: only a trained network predicts (a spec with 'dataset' and 'training', run with 'netspec run')");
            return (ExitCodes.InvalidSpec, null, null);
        }
        if (parametersPath is null)
        {
            if (doc.Training.Outputs?.Parameters is not { } pf)
            {
                Console.Error.WriteLine($"netspec: {specPath} writes no parameters file ('training: outputs: parameters'): give the trained parameters with --parameters FILE");
                return (ExitCodes.Usage, null, null);
            }
            parametersPath = Path.Combine(Path.GetDirectoryName(doc.Path) ?? "", pf.Path);
            if (!File.Exists(parametersPath))
            {
                Console.Error.WriteLine($"netspec: no trained parameters at {parametersPath}: train the network first with 'netspec run {specPath}' (or give --parameters FILE)");
                return (ExitCodes.InvalidSpec, null, null);
            }
        }
        else if (!File.Exists(parametersPath))
        {
            Console.Error.WriteLine($"netspec: the parameters file '{Excerpt.ClipPath(parametersPath)}' does not exist");
            return (ExitCodes.InvalidSpec, null, null);
        }
        ParameterFile.Contents contents;
        try
        {
            contents = ParameterFile.Read(parametersPath);
        }
        catch (Exception e) when (e is FormatException or IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"netspec: cannot read the parameters file '{Excerpt.ClipPath(parametersPath)}': {Excerpt.Message(e.Message)}");
            return (ExitCodes.InvalidSpec, null, null);
        }
        var diagnostics = new DiagnosticBag();
        var network = TrainedNetwork.Open(graph, contents, parametersPath, diagnostics, out var note);
        if (note is not null) Console.Error.WriteLine($"note: {note}");
        var rows = network is null ? null : DatasetLoader.ReadInput(inputPath, doc.Dataset, network.Preprocessing, labels, diagnostics, limits.MaxElements);
        if (diagnostics.HasErrors || network is null || rows is null)
        {
            Print(diagnostics, inputPath);
            return (ExitCodes.InvalidSpec, null, null);
        }
        return (ExitCodes.Success, network, rows);
    }

    /// <summary>The diagnostics, with the input file's line under each one that points into it.</summary>
    internal static void Print(DiagnosticBag diagnostics, string inputPath)
    {
        SourceText? source = null;
        try
        {
            if (File.Exists(inputPath))
                source = new SourceText(inputPath, new UTF8Encoding(false, false).GetString(SafeFile.ReadAllBytes(inputPath, SafeFile.MaxDataBytes)));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            source = null;
        }
        foreach (var d in diagnostics.Sorted()) Console.Error.WriteLine(DiagnosticFormatter.Format(d, source));
        int errors = diagnostics.ErrorCount;
        if (errors > 0) Console.Error.WriteLine($"{errors} error{(errors == 1 ? "" : "s")}");
    }
}
