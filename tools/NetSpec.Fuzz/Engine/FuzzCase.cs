using NetSpec.Parser.Diagnostics;
using NetSpec.Parser.Model;
using NetSpec.Parser.Yaml;
using NetSpec.Runtime;
using NetSpec.Runtime.Execution;
using NetSpec.Runtime.Graph;
using NetSpec.Runtime.Trace;
using NetSpec.Runtime.Training;

namespace NetSpec.Fuzz;

/// <summary>What one mutated spec led to.</summary>
internal enum FuzzOutcome
{
    /// <summary>The spec was valid; its graph ran (numeric faults included).</summary>
    Valid,

    /// <summary>The spec was refused with diagnostics that all carry a position.</summary>
    Invalid,

    /// <summary>A bug: an exception escaped, or a diagnostic has no usable position.</summary>
    Finding,
}

/// <summary>The result of one case: its outcome and, for a finding, what went wrong.</summary>
internal sealed record FuzzResult(FuzzOutcome Outcome, string? Problem);

/// <summary>
/// Runs one spec text through the whole front end (load, parse, build, render every diagnostic)
/// and, when valid, through the interpreter for a bounded number of steps.
/// </summary>
internal static class FuzzCase
{
    /// <summary>Limits for fuzzing: small tensors, so a mutant cannot make a case slow.</summary>
    public static ParserLimits Limits { get; } = new() { MaxElements = 100_000 };

    /// <summary>Steps of the optimizer run at most per valid case.</summary>
    public const int MaxSteps = 3;

    /// <summary>Codes of diagnostics about the file as a whole, which have no line.</summary>
    private static readonly HashSet<string> FileLevel =
        [Codes.FileNotFound, Codes.FileUnreadable, Codes.FileTooLarge, Codes.NotText];

    public static FuzzResult Run(string text)
    {
        try
        {
            var loaded = NetSpecEngine.LoadText("fuzz.yaml", text, Limits);
            foreach (var d in loaded.Diagnostics.Items)
            {
                _ = DiagnosticFormatter.Format(d, loaded.Source);
                if (FileLevel.Contains(d.Code)) continue;
                if (d.Span.Line <= 0 || d.Span.Column <= 0)
                    return new(FuzzOutcome.Finding, $"diagnostic without a position: {d}");
                if (loaded.Source is { } src && src.Line(d.Span.Line) is null)
                    return new(FuzzOutcome.Finding, $"diagnostic past the end of the text: {d}");
            }
            if (loaded.Diagnostics.HasErrors)
                return new(FuzzOutcome.Invalid, null);
            if (loaded.Graph is not { } graph)
                return new(FuzzOutcome.Finding, "no errors were reported, yet no graph was built");
            if (graph.Spec.DType == DType.Float32) Execute<float>(graph);
            else Execute<double>(graph);
            return new(FuzzOutcome.Valid, null);
        }
        catch (Exception e)
        {
            return new(FuzzOutcome.Finding, e.ToString());
        }
    }

    /// <summary>Runs what the spec asks for, at most <see cref="MaxSteps"/> steps, rendering the trace.</summary>
    private static void Execute<T>(NetworkGraph graph) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var sink = new RenderingSink(graph);
        var run = new StepRunner<T>(new Interpreter<T>(graph, new InterpreterOptions { StopOnNonFinite = false }, sink));
        if (graph.Steps <= MaxSteps)
        {
            run.Run(); // every step, with the expectations checked
            return;
        }
        for (int step = 1; step <= MaxSteps; step++) run.Step(step);
    }

    /// <summary>Renders each event as the CLI would (text and JSON lines) and drops the result.</summary>
    private sealed class RenderingSink(NetworkGraph graph) : ITraceSink
    {
        private readonly TraceTextWriter _text = new(graph, 64);

        public void Emit(TraceEvent e)
        {
            _ = TraceJson.Line(e);
            _text.Write(e, TextWriter.Null);
        }
    }
}
