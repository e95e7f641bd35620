using NetSpec.Parser;
using NetSpec.Parser.Diagnostics;
using NetSpec.Parser.Model;
using NetSpec.Parser.Yaml;
using NetSpec.Runtime.Execution;
using NetSpec.Runtime.Graph;
using NetSpec.Runtime.Trace;

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
        var graph = parsed.Document is { } doc ? GraphBuilder.Build(doc, diagnostics, limits) : null;
        return new LoadedSpec(parsed.Document, diagnostics.HasErrors ? null : graph, parsed.Source, diagnostics);
    }

    /// <summary>Parses and validates spec text; <paramref name="path"/> names it in diagnostics.</summary>
    public static LoadedSpec LoadText(string path, string text, ParserLimits? limits = null)
    {
        var diagnostics = new DiagnosticBag();
        var parsed = SpecParser.ParseText(path, text, diagnostics, limits);
        var graph = parsed.Document is { } doc ? GraphBuilder.Build(doc, diagnostics, limits) : null;
        return new LoadedSpec(parsed.Document, diagnostics.HasErrors ? null : graph, parsed.Source, diagnostics);
    }

    /// <summary>Runs every step of a graph in its spec's dtype and checks its expectations.</summary>
    public static RunResult Run(NetworkGraph graph, InterpreterOptions? options = null, ITraceSink? trace = null) =>
        graph.Spec.DType == DType.Float32
            ? new Interpreter<float>(graph, options, trace).Run()
            : new Interpreter<double>(graph, options, trace).Run();
}
