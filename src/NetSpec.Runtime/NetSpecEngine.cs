using NetSpec.Parser;
using NetSpec.Parser.Diagnostics;
using NetSpec.Parser.Model;
using NetSpec.Parser.Yaml;
using NetSpec.Runtime.Execution;
using NetSpec.Runtime.Graph;
using NetSpec.Runtime.Trace;
using NetSpec.Runtime.Training;

namespace NetSpec.Runtime;

/// <summary>A spec read from a file: the parsed document, the validated graph, the source and every diagnostic.</summary>
public sealed record LoadedSpec(SpecDocument? Document, NetworkGraph? Graph, SourceText? Source, DiagnosticBag Diagnostics)
{
    public bool Ok => Graph is not null && !Diagnostics.HasErrors;
}

/// <summary>The front door of the library: load a spec, then run it.</summary>
public static class NetSpecEngine
{
    /// <summary>Parses and validates a spec file; nothing is computed.</summary>
    public static LoadedSpec Load(string path, ParserLimits? limits = null)
    {
        var diagnostics = new DiagnosticBag();
        var parsed = SpecParser.ParseFile(path, diagnostics, limits);
        return Build(parsed, diagnostics, limits);
    }

    /// <summary>Parses and validates spec text; <paramref name="path"/> names it in diagnostics.</summary>
    public static LoadedSpec LoadText(string path, string text, ParserLimits? limits = null)
    {
        var diagnostics = new DiagnosticBag();
        var parsed = SpecParser.ParseText(path, text, diagnostics, limits);
        return Build(parsed, diagnostics, limits);
    }

    /// <summary>
    /// Reads the spec's files (dataset, parameters file), then builds and checks the graph. A spec
    /// with parse errors still goes through the graph builder, so every independent mistake is
    /// reported in one pass; its files are not read then.
    /// </summary>
    private static LoadedSpec Build(SpecParser.Result parsed, DiagnosticBag diagnostics, ParserLimits? limits)
    {
        if (parsed.Document is not { } doc) return new LoadedSpec(null, null, parsed.Source, diagnostics);
        if (diagnostics.HasErrors)
        {
            // The dataset's inputs and targets would be declared by reading its files: do not report references to them.
            var unread = doc.Dataset is { } ds
                ? doc with { InvalidNames = new HashSet<string>(doc.InvalidNames.Append(ds.Inputs.Name).Append(ds.Targets.Name), StringComparer.Ordinal) }
                : doc;
            // Data read from files is unread too: left out, and references to it not reported.
            if (unread.Data.Any(d => d.File is not null))
                unread = unread with
                {
                    Data = [.. unread.Data.Where(d => d.File is null)],
                    InvalidNames = new HashSet<string>(unread.InvalidNames.Concat(unread.Data.Where(d => d.File is not null).Select(d => d.Name)), StringComparer.Ordinal),
                };
            GraphBuilder.Build(unread, diagnostics, limits);
            return new LoadedSpec(doc, null, parsed.Source, diagnostics);
        }
        var (prepared, dataset) = TrainingSetup.Prepare(doc, diagnostics, limits);
        if (diagnostics.HasErrors) return new LoadedSpec(doc, null, parsed.Source, diagnostics);
        var graph = GraphBuilder.Build(prepared, diagnostics, limits);
        if (graph is not null)
        {
            graph.Dataset = dataset;
            TrainingSetup.Check(graph, dataset, diagnostics);
        }
        return new LoadedSpec(doc, diagnostics.HasErrors ? null : graph, parsed.Source, diagnostics);
    }

    /// <summary>Runs every step of a graph in its spec's dtype and checks its expectations.</summary>
    /// <remarks>
    /// A training spec trains instead (see <see cref="Train{T}"/>); <paramref name="training"/> says how.
    /// <paramref name="traceSteps"/> chooses the steps traced, in place of the spec's <c>trace:</c>.
    /// </remarks>
    public static RunResult Run(NetworkGraph graph, InterpreterOptions? options = null, ITraceSink? trace = null, TrainingRunOptions? training = null,
        TrainingTraceDecl? traceSteps = null)
    {
        if (graph.Spec.Training is not null)
            return graph.Spec.DType == DType.Float32 ? Train<float>(graph, training, trace) : Train<double>(graph, training, trace);
        var steps = graph.Spec.DType == DType.Float32
            ? new StepRunner<float>(new Interpreter<float>(graph, options, trace), traceSteps).Run()
            : new StepRunner<double>(new Interpreter<double>(graph, options, trace), traceSteps).Run();
        return new RunResult(steps.Expectations, steps.Fault);
    }

    /// <summary>Trains a training spec and checks its metric expectations.</summary>
    public static RunResult Train<T>(NetworkGraph graph, TrainingRunOptions? training = null, ITraceSink? trace = null)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var data = graph.Dataset ?? throw new ArgumentException("the graph has no dataset", nameof(graph));
        var trainer = new Trainer<T>(graph, data, training, trace);
        var (report, fault) = trainer.Train();
        var metrics = graph.Spec.MetricExpectations.Select(m =>
        {
            double? actual = report.Metric(m.Metric.Name);
            bool ok = actual is { } a && (m.Min is not { } lo || a >= lo) && (m.Max is not { } hi || a <= hi);
            return new MetricResult(m, actual, ok);
        }).ToList();
        return new RunResult(trainer.Expectations, fault) { Training = report, Metrics = metrics };
    }
}
