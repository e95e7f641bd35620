using NetSpec.Parser.Diagnostics;
using NetSpec.Parser.Model;
using NetSpec.Parser.Reading;
using NetSpec.Parser.Yaml;
using YamlDotNet.RepresentationModel;

namespace NetSpec.Parser.Sections;

/// <summary><c>hyperparameters:</c>, named numbers that any number of the spec may reference.</summary>
internal static class HyperparametersSection
{
    public static List<Hyperparameter> Read(SpecReader r, YamlNode node)
    {
        var list = new List<Hyperparameter>();
        if (r.Mapping(node, "'hyperparameters'") is not { } map) return list;
        foreach (var (key, keyNode, value) in r.Entries(map))
        {
            if (!Names.IsValid(key))
            {
                r.Error(Codes.InvalidName, keyNode, $"'{YamlNodes.Clip(key)}' is not a valid hyperparameter name");
                r.Invalid.Add(key);
                continue;
            }
            if (value is YamlScalarNode s && YamlNodes.TryNumber(s, out var x))
            {
                var h = new Hyperparameter(key, x, r.Span(keyNode));
                r.Define(h);
                list.Add(h);
            }
            else
            {
                r.Error(Codes.NotANumber, value, $"hyperparameter '{key}' must be a number, not {YamlNodes.Describe(value)}");
                r.Invalid.Add(key);
            }
        }
        return list;
    }
}
