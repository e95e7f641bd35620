using NetSpec.Parser.Model;
using NetSpec.Parser.Reading;
using YamlDotNet.RepresentationModel;

namespace NetSpec.Parser.Sections;

/// <summary><c>data:</c>, the inputs and targets written inline: name: tensor.</summary>
internal static class DataSection
{
    public static List<DataDecl> Read(SpecReader r, YamlNode node)
    {
        var list = new List<DataDecl>();
        if (r.Mapping(node, "'data'") is not { } map) return list;
        foreach (var (key, keyNode, value) in r.Entries(map))
        {
            bool declared = r.Declare(key, keyNode, "data");
            var t = TensorReader.Read(r, value, $"data '{key}'");
            if (r.Keep(key, declared, t is not null)) list.Add(new DataDecl(key, t!, r.Span(keyNode)));
        }
        return list;
    }
}
