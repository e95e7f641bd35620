using NetSpec.Parser.Diagnostics;
using NetSpec.Parser.Model;
using NetSpec.Parser.Reading;
using NetSpec.Parser.Yaml;
using YamlDotNet.RepresentationModel;

namespace NetSpec.Parser.Sections;

/// <summary>
/// <c>data:</c>, the inputs and targets: name: tensor written inline, or name: {file: rows.csv}
/// for a batch read from a CSV file (one row per sample).
/// </summary>
internal static class DataSection
{
    /// <summary>The keys of data read from a file.</summary>
    public static readonly string[] FileKeys = ["file", "separator", "header", "columns"];

    public static List<DataDecl> Read(SpecReader r, YamlNode node)
    {
        var list = new List<DataDecl>();
        if (r.Mapping(node, "'data'") is not { } map) return list;
        foreach (var (key, keyNode, value) in r.Entries(map))
        {
            bool declared = r.Declare(key, keyNode, "data");
            // A mapping with 'init' is an initializer written in the wrong section: the tensor reader says so.
            if (value is YamlMappingNode fm && !fm.Children.ContainsKey(new YamlScalarNode("init")))
            {
                var file = File(r, fm, key);
                // The values are read with the files, before the graph is built; until then a placeholder.
                if (r.Keep(key, declared, file is not null))
                    list.Add(new DataDecl(key, new TensorLiteral([1, 1], [0], file!.Span), r.Span(keyNode)) { File = file });
                continue;
            }
            var t = TensorReader.Read(r, value, $"data '{key}'");
            if (r.Keep(key, declared, t is not null)) list.Add(new DataDecl(key, t!, r.Span(keyNode)));
        }
        return list;
    }

    private static DataFileDecl? File(SpecReader r, YamlMappingNode map, string name)
    {
        var e = r.Fields(map, FileKeys, $"data '{name}'");
        bool ok = true;
        PathRef? file = null;
        if (e.Require("file", $"data '{name}' is a tensor, or a mapping with 'file:', a CSV file relative to the spec", out var f))
            ok &= (file = r.RelativePath(f.Value, "file")) is not null;
        else ok = false;
        ok &= DatasetSection.Separator(r, e, out char separator);
        bool header = true;
        if (e.TryGet("header", out var h)) ok &= r.Bool(h.Value, "header", out header);
        List<NameRef>? columns = null;
        if (e.TryGet("columns", out var c))
        {
            if (c.Value is YamlSequenceNode { Children.Count: > 0 } seq)
            {
                columns = [];
                foreach (var item in seq.Children)
                {
                    if (r.Text(item, "a column") is { } col) columns.Add(new NameRef(col, r.Span(item)));
                    else ok = false;
                }
            }
            else
            {
                r.Error(Codes.WrongType, c.Value, $"'columns' is a list of column names such as [a, b], not {YamlNodes.Describe(c.Value)}");
                ok = false;
            }
        }
        return ok && file is not null ? new DataFileDecl(file, separator, header, columns, e.Span) : null;
    }
}
