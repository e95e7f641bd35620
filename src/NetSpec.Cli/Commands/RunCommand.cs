using System.CommandLine;
using NetSpec.Runtime;
using NetSpec.Runtime.Execution;
using NetSpec.Runtime.Trace;
using Serilog;

namespace NetSpec.Cli.Commands;

/// <summary><c>netspec run &lt;spec&gt;</c>: run what the spec says, print the trace, check the expectations.</summary>
internal static class RunCommand
{
    public static Command Create(CommonOptions common)
    {
        var spec = new Argument<string>("spec") { Description = "The spec file (YAML)" };
        var traceFile = new Option<string?>("--trace-file") { Description = "Also write the trace as JSON lines to this file" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Print no trace, only expectations and problems" };
        var fullLimit = new Option<int>("--full-limit") { Description = "Tensors with more elements than this print as a summary (shape, min, max, mean, first values)", DefaultValueFactory = _ => 64 };
        var keepGoing = new Option<bool>("--continue-on-nonfinite") { Description = "Do not stop at the first NaN or infinity" };
        var resume = new Option<bool>("--resume") { Description = "Training specs: continue from the last checkpoint (the same final parameters as a run never stopped)" };
        var threads = new Option<int>("--threads") { Description = "Most threads a matrix product may use (results are bit-identical for any count)", DefaultValueFactory = _ => 1 };
        var cmd = new Command("run", "Run a spec: forward, backward and update as the spec asks; print every value; check the expectations")
        {
            spec, traceFile, quiet, fullLimit, keepGoing, resume, threads,
        };
        common.AddTo(cmd);
        cmd.SetAction(r => Run(r.GetValue(spec)!, r.GetValue(traceFile), r.GetValue(quiet), r.GetValue(fullLimit),
            r.GetValue(keepGoing), common.Limits(r), Console.Out, r.GetValue(resume), r.GetValue(threads)));
        return cmd;
    }

    public static int Run(string path, string? traceFile, bool quiet, int fullLimit, bool keepGoing,
        NetSpec.Parser.Yaml.ParserLimits limits, TextWriter output, bool resume = false, int threads = 1)
    {
        if (threads < 1)
        {
            Console.Error.WriteLine("netspec: --threads must be at least 1");
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
        if (!quiet)
        {
            output.WriteLine($"{doc.Name}{(doc.Description is { } d ? $": {d.Trim()}" : "")}");
            if (doc.Source is { } s) output.WriteLine($"source: {s.Trim()}");
        }

        var config = new LoggerConfiguration().MinimumLevel.Information();
        bool traced = false;
        bool training = graph.Spec.Training is not null;
        if (!quiet && !training)
        {
            config = config.WriteTo.Sink(new TextWriterSink(new TraceConsoleFormatter(graph, fullLimit), output));
            traced = true;
        }
        if (traceFile is not null)
        {
            try
            {
                File.WriteAllText(traceFile, "");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
            {
                Console.Error.WriteLine($"netspec: cannot write the trace file '{traceFile}': {e.Message}");
                return ExitCodes.Usage;
            }
            config = config.WriteTo.File(new TraceJsonFormatter(), traceFile, buffered: true);
            traced = true;
        }
        RunResult result;
        using (var logger = config.CreateLogger())
        {
            var sink = traced ? new SerilogTraceSink(logger) : null;
            try
            {
                result = training
                    ? TrainingRun.Run(graph, sink, resume, output, interactive: !quiet && output == Console.Out && !Console.IsOutputRedirected, threads)
                    : NetSpecEngine.Run(graph, new InterpreterOptions { StopOnNonFinite = !keepGoing, Threads = threads }, sink);
            }
            catch (Runtime.Training.TrainingFileException e)
            {
                Console.Error.WriteLine($"netspec: {e.Message}");
                return ExitCodes.Usage;
            }
        }
        Reporting.Expectations(output, result);
        Reporting.Metrics(output, result);
        if (result.Fault is { } fault)
        {
            Reporting.Fault(Console.Error, fault);
            return ExitCodes.NumericFault;
        }
        return result.AllPassed ? ExitCodes.Success : ExitCodes.ExpectationFailed;
    }
}

/// <summary>A Serilog sink writing formatted events to a TextWriter (stdout), without buffering surprises.</summary>
internal sealed class TextWriterSink(Serilog.Formatting.ITextFormatter formatter, TextWriter output) : Serilog.Core.ILogEventSink
{
    public void Emit(Serilog.Events.LogEvent logEvent) => formatter.Format(logEvent, output);
}
