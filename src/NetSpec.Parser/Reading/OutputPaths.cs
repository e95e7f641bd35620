using NetSpec.Parser.Diagnostics;
using NetSpec.Parser.Files;
using NetSpec.Parser.Model;
using NetSpec.Parser.Yaml;

namespace NetSpec.Parser.Reading;

/// <summary>
/// The files a spec writes must not be the files it reads, nor each other: a parameters output
/// named like the spec would replace the spec with JSON, a checkpoint sharing the parameters
/// file's path would be overwritten by it. Paths are compared where they really lead (symbolic
/// links followed), and each clash is reported at the output that would overwrite.
/// </summary>
internal static class OutputPaths
{
    public static void Check(SpecReader r, SpecDocument doc)
    {
        string folder = Path.GetDirectoryName(Path.GetFullPath(doc.Path)) ?? ".";
        var inputs = new List<(string What, string Path, SourceSpan? At)> { ("the spec itself", Path.GetFullPath(doc.Path), null) };
        if (doc.Dataset is { } d)
        {
            if (d.File is { } f) inputs.Add(("the dataset's file", Full(folder, f), f.Span));
            if (d.ValidationFile is { } v) inputs.Add(("the dataset's validation_file", Full(folder, v), v.Span));
            if (d.TestFile is { } t) inputs.Add(("the dataset's test_file", Full(folder, t), t.Span));
        }
        if (doc.ParametersFile is { } pf) inputs.Add(("the parameters file", Full(folder, pf), pf.Span));

        var outputs = new List<(string What, PathRef Ref)>();
        if (doc.Training is { } tr)
        {
            if (tr.Checkpoint is { } c) outputs.Add(("training.checkpoint.path", c.Path));
            if (tr.Outputs?.Parameters is { } p) outputs.Add(("training.outputs.parameters", p));
            if (tr.Outputs?.BestParameters is { } bp) outputs.Add(("training.outputs.best_parameters", bp));
            if (tr.Outputs?.LearningCurve is { } lc)
            {
                outputs.Add(("training.outputs.learning_curve", lc));
                outputs.Add(("training.outputs.learning_curve (its .csv)", lc with { Path = Path.ChangeExtension(lc.Path, ".csv") }));
                outputs.Add(("training.outputs.learning_curve (its .svg)", lc with { Path = Path.ChangeExtension(lc.Path, ".svg") }));
            }
        }
        if (outputs.Count == 0) return;

        var real = new Dictionary<string, string?>(StringComparer.Ordinal);
        string? Real(string p) => real.TryGetValue(p, out var x) ? x : real[p] = RealPath.Of(p);

        for (int i = 0; i < outputs.Count; i++)
        {
            var (what, at) = outputs[i];
            string? mine = Real(Full(folder, at));
            if (mine is null) continue; // a loop of links: reported where the file is opened
            var clash = inputs.FirstOrDefault(x => Real(x.Path) == mine);
            if (clash.What is not null)
            {
                r.Error(Codes.OutputOverwritesInput, at.Span,
                    $"'{what}' ({YamlNodes.Clip(at.Path)}) is {clash.What}{Where(clash.At)}: an output may not overwrite what the spec reads");
                continue;
            }
            for (int j = 0; j < i; j++)
                if (Real(Full(folder, outputs[j].Ref)) == mine)
                {
                    r.Error(Codes.OutputOverwritesInput, at.Span,
                        $"'{what}' ({YamlNodes.Clip(at.Path)}) is the same file as '{outputs[j].What}' (line {outputs[j].Ref.Span.Line}): each output needs its own file");
                    break;
                }
        }
    }

    private static string Full(string folder, PathRef p) => Path.GetFullPath(Path.Combine(folder, p.Path));

    private static string Where(SourceSpan? at) => at is { } s ? $" (line {s.Line})" : "";
}
