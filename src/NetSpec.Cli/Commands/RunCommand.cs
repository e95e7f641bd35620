using System.CommandLine;
using NetSpec.Parser.Files;
using NetSpec.Parser.Model;
using NetSpec.Runtime;
using NetSpec.Runtime.Execution;
using NetSpec.Runtime.Explain;
using NetSpec.Runtime.Explaining;
using NetSpec.Runtime.Trace;
using Serilog;

namespace NetSpec.Cli.Commands;

/// <summary><c>netspec run &lt;spec&gt;</c>: run what the spec says, print the trace, check the expectations.</summary>
internal static class RunCommand
{
    /// <summary>The most <c>--threads</c> accepted.</summary>
    public const int MaxThreads = 1024;

    public static Command Create(CommonOptions common)
    {
        var spec = new Argument<string>("spec") { Description = "The spec file (YAML)" };
        var traceFile = new Option<string?>("--trace-file") { Description = "Also write the trace as JSON lines to this file" };
        var quiet = CommonOptions.Quiet();
        var fullLimit = new Option<int>("--full-limit") { Description = "Tensors with more elements than this print as a summary (shape, min, max, mean, first values)", DefaultValueFactory = _ => 64 }.Between(0, int.MaxValue);
        var keepGoing = new Option<bool>("--continue-on-nonfinite") { Description = "Do not stop at the first NaN or infinity" };
        var resume = new Option<bool>("--resume") { Description = "Training specs: continue from the spec's checkpoint (the same final parameters as a run never stopped); without a checkpoint file yet, says so and trains from the start" };
        var warmStart = new Option<bool>("--warm-start") { Description = "With --resume: continue from a checkpoint even when another spec or other data wrote it (its parameters and optimizer state as a starting point; the result is not an uninterrupted run's)" };
        var threads = new Option<int>("--threads") { Description = "Most threads a matrix product may use (results are bit-identical for any count)", DefaultValueFactory = _ => 1 }.Between(1, RunCommand.MaxThreads);
        var traceSteps = new Option<string?>("--trace-steps")
        {
            Description = "Specs without training: trace only these steps, e.g. 1,10000 (in place of the spec's 'trace: {steps: [...]}'); expectations are checked at every step as usual",
        };
        var serilog = new Option<bool>("--trace-serilog") { Description = "Send the trace through Serilog's structured events (the same output, slower; for Serilog sinks of your own)" };
        var explain = new Option<bool>("--explain") { Description = "After the trace (or instead of it, with --quiet), write every node's computation out with its numbers substituted: forward, backward and update, as the notes do" };
        var format = new Option<ExplainFormat>("--format") { Description = "The notation of --explain: text (console), markdown (LaTeX math for GitHub, VS Code, Jupyter) latex (a standalone document for pdflatex) or html (the whole report of `netspec report`, equations as MathML; needs --explain-file)", DefaultValueFactory = _ => ExplainFormat.Text };
        var explainFile = new Option<string?>("--explain-file") { Description = "Write the --explain output to this file instead of the console" };
        var explainOptions = new ExplainCliOptions();
        var cmd = new Command("run", "Run a spec: forward, backward and update as the spec asks; print every value; check the expectations")
        {
            spec, traceFile, quiet, fullLimit, keepGoing, resume, warmStart, threads, serilog, traceSteps, explain, format, explainFile,
        };
        explainOptions.AddTo(cmd);
        common.AddTo(cmd);
        cmd.SetAction(r => Run(r.GetValue(spec)!, r.GetValue(traceFile), r.GetValue(quiet), r.GetValue(fullLimit),
            r.GetValue(keepGoing), common.Limits(r), Console.Out, r.GetValue(resume), r.GetValue(threads), r.GetValue(serilog), r.GetValue(warmStart),
            r.GetValue(explain) || r.GetValue(explainFile) is not null ? new ExplainRequest(explainOptions.Read(r), r.GetValue(format), r.GetValue(explainFile)) : null,
            r.GetValue(traceSteps)));
        return cmd;
    }

    public static int Run(string path, string? traceFile, bool quiet, int fullLimit, bool keepGoing,
        NetSpec.Parser.Yaml.ParserLimits limits, TextWriter output, bool resume = false, int threads = 1, bool serilog = false, bool warmStart = false,
        ExplainRequest? explain = null, string? traceSteps = null)
    {
        TrainingTraceDecl? selection = null;
        if (traceSteps is not null && (selection = ParseSteps(traceSteps)) is null)
        {
            Console.Error.WriteLine($"netspec: --trace-steps is a comma-separated list of step numbers >= 1, e.g. 1,10000, not '{Parser.Diagnostics.Excerpt.Clip(traceSteps)}'");
            return ExitCodes.Usage;
        }
        if (threads is < 1 or > MaxThreads)
        {
            Console.Error.WriteLine($"netspec: --threads must be between 1 and {MaxThreads}, not {threads}");
            return ExitCodes.Usage;
        }
        var loaded = NetSpecEngine.Load(path, limits);
        if (!loaded.Ok)
        {
            Reporting.Diagnostics(Console.Error, loaded);
            return ExitCodes.InvalidSpec;
        }
        Reporting.Diagnostics(Console.Error, loaded);
        var graph = loaded.Graph!;
        var doc = graph.Spec;
        if (resume && ResumeCheck(path, graph, Console.Error) is { } refused) return refused;
        if (resume && !File.Exists(CheckpointPath(graph)!))
        {
            // Lightning's ckpt_path="last" and Keras' BackupAndRestore: the first run of a restartable job starts afresh.
            Console.Error.WriteLine($"netspec: --resume: no checkpoint at {CheckpointPath(graph)} yet: training from the start");
            resume = false;
        }
        if (!quiet)
        {
            output.WriteLine($"{doc.Name}{(doc.Description is { } d ? $": {d.Trim()}" : "")}");
            if (doc.Source is { } s) output.WriteLine($"source: {s.Trim()}");
        }

        bool training = graph.Spec.Training is not null;
        if (training && selection is not null)
        {
            Console.Error.WriteLine("netspec: --trace-steps is for specs without training; a training spec chooses its traced steps with 'training: trace: {steps: [...]}'");
            return ExitCodes.Usage;
        }
        bool text = !quiet && !training;
        Explainer? explainer = null;
        StepCollector? collected = null;
        if (explain is not null)
        {
            if (training)
            {
                Console.Error.WriteLine($"netspec: --explain writes out the steps of a spec without training; '{Parser.Diagnostics.Excerpt.ClipPath(path)}' trains over a data set (explain one of its batches with a spec of its own)");
                return ExitCodes.Usage;
            }
            if (explain.Format == ExplainFormat.Html && explain.File is null)
            {
                // The page would be mixed with the trace and the expectations on the console.
                Console.Error.WriteLine("netspec: --format html writes a file: give --explain-file FILE (or use 'netspec report SPEC -o FILE')");
                return ExitCodes.Usage;
            }
            if (ExplainCliOptions.Check(explain.Options, graph, new Explainer(graph, explain.Options with { Sample = null }).BatchSize) is { } wrong)
            {
                Console.Error.WriteLine($"netspec: {wrong}");
                return ExitCodes.Usage;
            }
            explainer = new Explainer(graph, explain.Options);
            if (explain.Format == ExplainFormat.Html) collected = new StepCollector(Report.ReportHtml.MaxSteps);
        }
        RunResult result;
        try
        {
            // The trace file is written beside its target and renamed over it when the run ends.
            using var trace = TraceOutput.Open(graph, text ? output : null, fullLimit, traceFile, serilog);
            ITraceSink? sink = explainer is null ? trace.Sink : trace.Sink is null ? explainer : new TraceFanOut(trace.Sink, explainer);
            if (collected is not null) sink = new TraceFanOut(sink!, collected);
            result = training
                ? TrainingRun.Run(graph, sink, resume, quiet ? TextWriter.Null : output, interactive: !quiet && output == Console.Out && !Console.IsOutputRedirected, threads, warmStart)
                : NetSpecEngine.Run(graph, new InterpreterOptions { StopOnNonFinite = !keepGoing, Threads = threads }, sink, traceSteps: selection);
            trace.Commit();
            if (explainer is not null)
            {
                string written = collected is not null
                    ? ReportCommand.Html(graph, collected.Events, explainer.Finish(), result, explain!.Options.Digits)
                    : ExplainWriter.Write(explainer.Finish(), explain!.Format);
                if (explain.File is { } f)
                {
                    AtomicFile.WriteText(f, written);
                    output.WriteLine($"explanation: {Parser.Diagnostics.Excerpt.ClipPath(f)}");
                }
                else
                {
                    if (text) output.WriteLine();
                    output.Write(written);
                }
            }
        }
        catch (Runtime.Training.TrainingFileException e)
        {
            Console.Error.WriteLine($"netspec: {e.Message}");
            return e.InnerException is OutputFileException ? ExitCodes.OutputError : ExitCodes.Usage;
        }
        catch (OutputFileException e)
        {
            Console.Error.WriteLine($"netspec: {e.Message}");
            return ExitCodes.OutputError;
        }
        catch (IOException e) when (traceFile is not null)
        {
            // Writing the trace to a device failed (/dev/full).
            Console.Error.WriteLine($"netspec: cannot write the trace to '{Parser.Diagnostics.Excerpt.ClipPath(traceFile)}': {Parser.Diagnostics.Excerpt.Message(e.Message)}");
            return ExitCodes.OutputError;
        }
        if (quiet && result.Training is { } report)
        {
            // --quiet: the training summary, without the epoch lines.
            if (report.TestAccuracy is { } acc) output.WriteLine($"test accuracy: {acc.ToString("0.0000", System.Globalization.CultureInfo.InvariantCulture)}");
            if (report.TestLoss is { } loss) output.WriteLine($"test loss: {loss.ToString("0.0000", System.Globalization.CultureInfo.InvariantCulture)}");
        }
        Reporting.Expectations(output, result, failuresOnly: quiet);
        Reporting.Metrics(output, result, failuresOnly: quiet);
        if (result.Fault is { } fault)
        {
            Reporting.Fault(Console.Error, fault);
            return ExitCodes.NumericFault;
        }
        if (result.Training?.Diverged is not null) return ExitCodes.Diverged;
        return result.AllPassed ? ExitCodes.Success : ExitCodes.ExpectationFailed;
    }

    /// <summary>
    /// Why <c>--resume</c> cannot apply to <paramref name="graph"/> (exit 64 after one line), or
    /// null: the spec does not train, or writes no checkpoint to resume from.
    /// </summary>
    internal static int? ResumeCheck(string path, Runtime.Graph.NetworkGraph graph, TextWriter error)
    {
        string spec = Parser.Diagnostics.Excerpt.ClipPath(path);
        if (graph.Spec.Training is null)
            error.WriteLine($"netspec: --resume continues a training run, but {spec} has no 'training:' section");
        else if (graph.Spec.Training.Checkpoint is null)
            error.WriteLine($"netspec: --resume: {spec} writes no checkpoint (training: checkpoint: {{every: N, path: FILE}}), so there is nothing to resume from");
        else return null;
        return ExitCodes.Usage;
    }

    /// <summary>Where the spec's training writes its checkpoint (beside the spec), or null.</summary>
    internal static string? CheckpointPath(Runtime.Graph.NetworkGraph graph) =>
        graph.Spec.Training?.Checkpoint is { } c ? Path.Combine(Path.GetDirectoryName(graph.Spec.Path) ?? "", c.Path.Path) : null;

    /// <summary>"1,10000" as a trace selection; null when it is not a list of step numbers >= 1.</summary>
    internal static TrainingTraceDecl? ParseSteps(string text)
    {
        var steps = new List<int>();
        foreach (var part in text.Split(','))
        {
            if (!int.TryParse(part.Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int n) || n < 1) return null;
            steps.Add(n);
        }
        return new TrainingTraceDecl(steps, 0, Parser.Diagnostics.SourceSpan.None("--trace-steps"));
    }
}

/// <summary>What <c>run --explain</c> writes: how, in which notation, and where (null: the console).</summary>
internal sealed record ExplainRequest(ExplainOptions Options, ExplainFormat Format, string? File);

/// <summary>
/// Where <c>run</c> sends the trace: the text layout to the console and JSON lines to the trace
/// file, written by NetSpec's own sinks, or with <c>--trace-serilog</c> through Serilog (the same
/// output, rendered by Serilog sinks). Disposing it flushes and closes the file.
/// </summary>
internal sealed class TraceOutput : IDisposable
{
    private readonly IDisposable? _owned;
    private readonly AtomicFile.Pending? _file;

    private TraceOutput(ITraceSink? sink, IDisposable? owned, AtomicFile.Pending? file = null)
    {
        Sink = sink;
        _owned = owned;
        _file = file;
    }

    /// <summary>The sink to give the run; null when nothing is traced.</summary>
    public ITraceSink? Sink { get; }

    public static TraceOutput Open(Runtime.Graph.NetworkGraph graph, TextWriter? text, int fullLimit, string? jsonFile, bool serilog)
    {
        if (text is null && jsonFile is null) return new TraceOutput(null, null);
        // A character device (/dev/null, a terminal) or this process's own output (/dev/stdout,
        // a pipe to the next command) is written as it is: there is nothing to replace atomically.
        if (jsonFile is not null && !serilog && SafeFile.NotRegular(jsonFile) is { } why
            && (why.StartsWith("is a character device", StringComparison.Ordinal) || jsonFile is "/dev/stdout" or "/dev/stderr"))
        {
            var device = new TraceJson(new FileStream(jsonFile, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, 1), ownsStream: true);
            ITraceSink? screen = text is null ? null : new TraceTextWriter(graph, fullLimit, text);
            return new TraceOutput(screen is null ? device : new TraceFanOut(screen, device), device);
        }
        // Atomic but not durable: the commit does not wait for the disk (an fsync, milliseconds against a run of lab07's).
        var file = jsonFile is null ? null : AtomicFile.Begin(jsonFile, durable: false);
        if (serilog)
        {
            var config = new LoggerConfiguration().MinimumLevel.Information();
            if (text is not null) config = config.WriteTo.Sink(new TextWriterSink(new TraceConsoleFormatter(graph, fullLimit), text));
            if (file is not null) config = config.WriteTo.File(new TraceJsonFormatter(), file.TempPath, buffered: true);
            var logger = config.CreateLogger();
            return new TraceOutput(new SerilogTraceSink(logger), logger, file);
        }
        var json = file is null ? null : new TraceJson(file.Stream);
        ITraceSink? console = text is null ? null : new TraceTextWriter(graph, fullLimit, text);
        ITraceSink sink = console is null ? json! : json is null ? console : new TraceFanOut(console, json);
        return new TraceOutput(sink, json, file);
    }

    /// <summary>Flushes the trace and puts the trace file in place (the run finished, faults included).</summary>
    public void Commit()
    {
        Close();
        _file?.Commit();
    }

    /// <summary>Without <see cref="Commit"/> (the run threw), the trace file's target is left as it was.</summary>
    public void Dispose()
    {
        Close();
        _file?.Dispose();
    }

    private bool _closed;

    private void Close()
    {
        if (_closed) return;
        _closed = true;
        _owned?.Dispose();
    }
}

/// <summary>A Serilog sink writing formatted events to a TextWriter (stdout), without buffering surprises.</summary>
internal sealed class TextWriterSink(Serilog.Formatting.ITextFormatter formatter, TextWriter output) : Serilog.Core.ILogEventSink
{
    public void Emit(Serilog.Events.LogEvent logEvent) => formatter.Format(logEvent, output);
}
