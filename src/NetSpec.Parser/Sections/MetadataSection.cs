using NetSpec.Parser.Diagnostics;
using NetSpec.Parser.Model;
using NetSpec.Parser.Reading;
using NetSpec.Parser.Yaml;
using YamlDotNet.RepresentationModel;

namespace NetSpec.Parser.Sections;

/// <summary>What the spec says about itself: <c>netspec:</c> (the format version), <c>name:</c>, <c>description:</c>, <c>source:</c>, <c>dtype:</c>, <c>mode:</c>.</summary>
internal static class MetadataSection
{
    /// <summary>The element types a spec may compute in.</summary>
    public static readonly string[] DTypes = ["float64", "float32"];

    /// <summary>The modes a spec may run in: training and evaluation.</summary>
    public static readonly string[] Modes = ["train", "eval"];

    public sealed record Metadata(int Version, string Name, string? Description, string? Source, DType DType, RunMode? Mode);

    public static Metadata Read(SpecReader r, Fields root)
    {
        int version = 1;
        if (root.TryGet("netspec", out var v) &&
            !(v.Value is YamlScalarNode vs && YamlNodes.TryNumber(vs, out var num) && num == 1))
            r.Error(Codes.UnsupportedVersion, v.Value, $"unsupported format version {YamlNodes.Describe(v.Value)}; this NetSpec reads 'netspec: 1'");
        string name = root.TryGet("name", out var n) ? r.Text(n.Value, "name") ?? "" : System.IO.Path.GetFileNameWithoutExtension(r.Path);
        string? description = root.TryGet("description", out var de) ? r.Text(de.Value, "description") : null;
        string? source = root.TryGet("source", out var so) ? r.Text(so.Value, "source") : null;
        var dtype = DType.Float64;
        if (root.TryGet("dtype", out var dt) && r.Choice(dt.Value, "dtype", "dtype", DTypes) is { } choice)
            dtype = choice.Name == "float32" ? DType.Float32 : DType.Float64;
        RunMode? mode = null;
        if (root.TryGet("mode", out var mo) && r.Choice(mo.Value, "mode", "mode", Modes) is { } m)
            mode = m.Name == "train" ? RunMode.Train : RunMode.Eval;
        return new Metadata(version, name, description, source, dtype, mode);
    }
}
