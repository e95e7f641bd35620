using System.Text.Json;
using System.Text.Json.Nodes;
using NetSpec.Parser.Yaml;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace NetSpec.Tests.Parser;

/// <summary>
/// YAML to JSON through YamlDotNet's representation model, the way an editor's YAML language
/// server sees a spec: plain scalars that are numbers become numbers, true/false booleans,
/// null/~/empty null; everything else (and every quoted scalar) a string.
/// </summary>
internal static class YamlToJson
{
    public static JsonElement Convert(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        var node = Node(stream.Documents[0].RootNode);
        return JsonSerializer.SerializeToElement(node);
    }

    private static JsonNode? Node(YamlNode node) => node switch
    {
        YamlMappingNode m => new JsonObject(m.Children.Select(kv =>
            KeyValuePair.Create(((YamlScalarNode)kv.Key).Value ?? "", Node(kv.Value)))),
        YamlSequenceNode s => new JsonArray([.. s.Children.Select(Node)]),
        YamlScalarNode s when YamlNodes.IsNull(s) => null,
        YamlScalarNode { Style: ScalarStyle.Plain, Value: "true" or "True" or "TRUE" } => JsonValue.Create(true),
        YamlScalarNode { Style: ScalarStyle.Plain, Value: "false" or "False" or "FALSE" } => JsonValue.Create(false),
        YamlScalarNode s when YamlNodes.TryNumber(s, out var x) && double.IsFinite(x) => JsonValue.Create(x),
        YamlScalarNode s => JsonValue.Create(s.Value ?? ""),
        _ => throw new NotSupportedException(node.GetType().Name),
    };
}
