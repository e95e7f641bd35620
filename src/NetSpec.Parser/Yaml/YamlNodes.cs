using System.Globalization;
using NetSpec.Parser.Diagnostics;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace NetSpec.Parser.Yaml;

/// <summary>Small helpers over YamlDotNet's representation model, all reporting with positions.</summary>
internal static class YamlNodes
{
    public static SourceSpan Span(string path, YamlNode node) => YamlLoader.Span(path, node.Start, node.End);

    public static string Describe(YamlNode node) => node switch
    {
        YamlScalarNode s when s.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted => $"the string \"{Clip(s.Value ?? "")}\"",
        YamlScalarNode s when IsNull(s) => "nothing (null)",
        YamlScalarNode s => $"'{Clip(s.Value ?? "")}'",
        YamlSequenceNode => "a list",
        YamlMappingNode => "a mapping",
        _ => "an alias",
    };

    public static string Clip(string s) => NetSpec.Parser.Diagnostics.Excerpt.Clip(s);

    public static bool IsNull(YamlScalarNode s) =>
        s.Style == ScalarStyle.Plain && (s.Value is null or "" or "~" or "null" or "Null" or "NULL");

    /// <summary>Parses a plain scalar as a YAML 1.2 core-schema number.</summary>
    public static bool TryNumber(YamlScalarNode s, out double value)
    {
        value = 0;
        if (s.Style != ScalarStyle.Plain || s.Value is not { Length: > 0 } text) return false;
        switch (text)
        {
            case ".inf" or ".Inf" or ".INF" or "+.inf" or "+.Inf" or "+.INF": value = double.PositiveInfinity; return true;
            case "-.inf" or "-.Inf" or "-.INF": value = double.NegativeInfinity; return true;
            case ".nan" or ".NaN" or ".NAN": value = double.NaN; return true;
        }
        char c = text[0];
        if (!(char.IsAsciiDigit(c) || c is '-' or '+' or '.')) return false;
        foreach (var ch in text)
            if (!(char.IsAsciiDigit(ch) || ch is '-' or '+' or '.' or 'e' or 'E' or '_')) return false;
        return double.TryParse(text.Replace("_", "", StringComparison.Ordinal),
            NumberStyles.Float, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>The mapping's scalar keys with their value nodes; non-scalar keys are reported.</summary>
    public static List<(string Key, YamlScalarNode KeyNode, YamlNode Value)> Entries(
        string path, YamlMappingNode map, DiagnosticBag diagnostics)
    {
        var list = new List<(string, YamlScalarNode, YamlNode)>();
        foreach (var (k, v) in map.Children)
        {
            if (k is YamlScalarNode ks && ks.Value is not null)
                list.Add((ks.Value, ks, v));
            else
                diagnostics.Error(Codes.WrongType, Span(path, k), $"a key must be a plain name, not {Describe(k)}");
        }
        return list;
    }
}
