using System.CommandLine;
using NetSpec.Cli.Report;
using NetSpec.Parser.Files;
using NetSpec.Runtime;
using NetSpec.Runtime.Execution;
using NetSpec.Runtime.Explain;
using NetSpec.Runtime.Explaining;
using NetSpec.Runtime.Graph;
using NetSpec.Runtime.Trace;
using NetSpec.Runtime.Training;

namespace NetSpec.Cli.Commands;

/// <summary>
/// <c>netspec report &lt;spec&gt; -o report.html</c>: runs the spec and writes one self-contained
/// HTML file: the graph (SVG, clickable), every traced value, gradient and update per step, the
/// arithmetic of the selected node (MathML), the expectations, and for training specs the
/// learning curves and metrics.
/// </summary>
internal static class ReportCommand
{
    /// <summary>Why a training spec's report has no arithmetic.</summary>
    public const string TrainingHasNoExplanation =
        "A training spec's arithmetic is not written out (run --explain refuses training specs too): its batches come from a data set and are too many to check by hand. " +
        "The values, gradients and updates shown are those of the optimizer steps the spec traces (training: trace: steps); to see one batch's arithmetic, write it as a spec of its own.";

    public static Command Create(CommonOptions common)
    {
        var spec = new Argument<string>("spec") { Description = "The spec file (YAML)" };
        var output = new Option<string?>("--output", "-o") { Description = "The HTML file to write (default: the spec's name with .html, in the current folder); written whole or not at all" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Print only the expectations, metrics and problems (no epoch lines)" };
        var keepGoing = new Option<bool>("--continue-on-nonfinite") { Description = "Do not stop at the first NaN or infinity" };
        var threads = new Option<int>("--threads") { Description = "Most threads a matrix product may use (results are bit-identical for any count)", DefaultValueFactory = _ => 1 }.Between(1, RunCommand.MaxThreads);
        var explainOptions = new ExplainCliOptions();
        var cmd = new Command("report", "Run a spec and write one self-contained HTML report (opens offline): the network drawn as SVG with clickable nodes, every value, gradient and update per step, the selected node's arithmetic as the notes write it, the expectations with pass/fail, and for training specs the learning curves and metrics")
        {
            spec, output, quiet, keepGoing, threads,
        };
        explainOptions.AddTo(cmd);
        common.AddTo(cmd);
        cmd.SetAction(r => Run(r.GetValue(spec)!, r.GetValue(output), explainOptions.Read(r), common.Limits(r), Console.Out,
            r.GetValue(quiet), r.GetValue(keepGoing), r.GetValue(threads)));
        return cmd;
    }

    public static int Run(string path, string? output, ExplainOptions options, NetSpec.Parser.Yaml.ParserLimits limits, TextWriter console,
        bool quiet = false, bool keepGoing = false, int threads = 1)
    {
        if (threads is < 1 or > RunCommand.MaxThreads)
        {
            Console.Error.WriteLine($"netspec: --threads must be between 1 and {RunCommand.MaxThreads}, not {threads}");
            return ExitCodes.Usage;
        }
        var loaded = NetSpecEngine.Load(path, limits);
        Reporting.Diagnostics(Console.Error, loaded);
        if (!loaded.Ok) return ExitCodes.InvalidSpec;
        var graph = loaded.Graph!;
        bool training = graph.Spec.Training is not null;
        output ??= Path.GetFileNameWithoutExtension(path) + ".html";

        Explainer? explainer = null;
        if (training && (options.Nodes is not null || options.Sample is not null))
            Console.Error.WriteLine("netspec: note: --explain-nodes and --explain-sample do nothing here: a training spec's report writes out no arithmetic");
        if (!training)
        {
            if (ExplainCliOptions.Check(options, graph, new Explainer(graph, options with { Sample = null }).BatchSize) is { } wrong)
            {
                Console.Error.WriteLine($"netspec: {wrong}");
                return ExitCodes.Usage;
            }
            explainer = new Explainer(graph, options);
        }
        var events = new StepCollector(ReportHtml.MaxSteps);
        ITraceSink sink = explainer is null ? events : new TraceFanOut(events, explainer);
        RunResult result;
        try
        {
            if (training)
            {
                int epochs = graph.Spec.Training!.Epochs;
                var run = new TrainingRunOptions
                {
                    Threads = threads,
                    OnEpoch = m =>
                    {
                        if (quiet) return;
                        console.WriteLine(TrainingRun.Line(m, epochs));
                        console.Flush();
                    },
                    OnNote = note => { if (!quiet) console.WriteLine(note); },
                };
                result = NetSpecEngine.Run(graph, trace: sink, training: run);
            }
            else
                result = NetSpecEngine.Run(graph, new InterpreterOptions { StopOnNonFinite = !keepGoing, Threads = threads }, sink);
            string html = ReportHtml.Build(new ReportInput(graph, events.Events, explainer?.Finish(), training ? TrainingHasNoExplanation : null, result, options.Digits)
            {
                TracedSteps = events.TracedSteps,
            });
            AtomicFile.WriteText(output, html);
        }
        catch (TrainingFileException e)
        {
            Console.Error.WriteLine($"netspec: {e.Message}");
            return e.InnerException is OutputFileException ? ExitCodes.OutputError : ExitCodes.Usage;
        }
        catch (OutputFileException e)
        {
            Console.Error.WriteLine($"netspec: {e.Message}");
            return ExitCodes.OutputError;
        }
        console.WriteLine($"report: {Parser.Diagnostics.Excerpt.ClipPath(output)}");
        Reporting.Expectations(console, result);
        Reporting.Metrics(console, result);
        if (result.Fault is { } fault)
        {
            Reporting.Fault(Console.Error, fault);
            return ExitCodes.NumericFault;
        }
        return result.AllPassed ? ExitCodes.Success : ExitCodes.ExpectationFailed;
    }

    /// <summary>The report of <paramref name="graph"/>'s finished run from its collected events (<c>run --explain --format html</c>).</summary>
    public static string Html(NetworkGraph graph, IReadOnlyList<TraceEvent> events, ExplainDocument? explanation, RunResult result, int digits) =>
        ReportHtml.Build(new ReportInput(graph, events, explanation, graph.Spec.Training is null ? null : TrainingHasNoExplanation, result, digits));
}

/// <summary>Keeps snapshots of the forward, backward and update events of the first <paramref name="maxSteps"/> traced steps (a training run can trace many).</summary>
internal sealed class StepCollector(int maxSteps) : ITraceSink
{
    private readonly HashSet<int> _steps = [], _all = [];

    /// <summary>Every step traced, kept or not.</summary>
    public int TracedSteps => _all.Count;

    public List<TraceEvent> Events { get; } = [];

    public void Emit(TraceEvent e)
    {
        if (e.Phase == TracePhase.Epoch) return;
        _all.Add(e.Step);
        if (!_steps.Contains(e.Step))
        {
            if (_steps.Count >= maxSteps) return;
            _steps.Add(e.Step);
        }
        Events.Add(e.Snapshot());
    }
}
