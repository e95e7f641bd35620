using YamlDotNet.RepresentationModel;

namespace NetSpec.Parser.Reading;

/// <summary>One entry of a mapping: its key as written and its value.</summary>
internal readonly record struct Field(YamlScalarNode Key, YamlNode Value);
