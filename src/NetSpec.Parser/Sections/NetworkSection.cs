using NetSpec.Parser.Diagnostics;
using NetSpec.Parser.Model;
using NetSpec.Parser.Reading;
using NetSpec.Parser.Yaml;
using YamlDotNet.RepresentationModel;

namespace NetSpec.Parser.Sections;

/// <summary>
/// <c>network:</c>, the nodes: name: {op: ..., key: value, ...}. Which keys an op takes is the
/// op registry's business (the graph builder checks them); here every key but <c>op</c> is an
/// argument: a name, a number, or a list of them.
/// </summary>
internal static class NetworkSection
{
    public static List<NodeDecl> Read(SpecReader r, YamlNode node)
    {
        var list = new List<NodeDecl>();
        if (r.Mapping(node, "'network'") is not { } map) return list;
        if (map.Children.Count == 0)
            r.Error(Codes.MissingField, map, "the network has no nodes");
        foreach (var (key, keyNode, value) in r.Entries(map))
        {
            bool declared = r.Declare(key, keyNode, "node");
            if (value is not YamlMappingNode body)
            {
                r.Error(Codes.WrongType, value, $"node '{key}' must be a mapping like {{op: relu, x: z}}, not {YamlNodes.Describe(value)}");
                if (declared || !r.IsDeclared(key)) r.Invalid.Add(key);
                continue;
            }
            NameRef? op = null;
            var args = new List<NodeArg>();
            bool argsOk = true;
            foreach (var (argKey, argKeyNode, argValue) in r.Entries(body))
            {
                if (argKey == "op")
                {
                    if (argValue is YamlScalarNode os && !YamlNodes.IsNull(os) && os.Value is { } opName) op = new NameRef(opName, r.Span(os));
                    else r.Error(Codes.WrongType, argValue, $"'op' of node '{key}' must be an op name, not {YamlNodes.Describe(argValue)}");
                    continue;
                }
                var arg = Arg(r, argValue, key, argKey);
                if (arg is not null) args.Add(new NodeArg(argKey, arg, r.Span(argKeyNode)));
                else argsOk = false;
            }
            if (op is null && !body.Children.Any(c => c.Key is YamlScalarNode { Value: "op" }))
                r.Error(Codes.MissingField, keyNode, $"node '{key}' has no 'op'");
            if (r.Keep(key, declared, op is not null && argsOk)) list.Add(new NodeDecl(key, op!, args, r.Span(keyNode), r.Span(value)));
        }
        return list;
    }

    private static ArgValue? Arg(SpecReader r, YamlNode node, string nodeName, string key)
    {
        switch (node)
        {
            case YamlScalarNode s when !YamlNodes.IsNull(s):
                return Scalar(r, s);
            case YamlSequenceNode seq:
            {
                var items = new List<ArgScalar>();
                foreach (var c in seq.Children)
                {
                    if (c is YamlScalarNode cs && !YamlNodes.IsNull(cs)) items.Add(Scalar(r, cs));
                    else
                    {
                        r.Error(Codes.WrongType, c, $"'{key}' of node '{nodeName}' lists names, not {YamlNodes.Describe(c)}");
                        return null;
                    }
                }
                return new ArgList(items, r.Span(seq));
            }
            default:
                r.Error(Codes.WrongType, node, $"'{key}' of node '{nodeName}' must be a name, a number or a list of names, not {YamlNodes.Describe(node)}");
                return null;
        }
    }

    private static ArgScalar Scalar(SpecReader r, YamlScalarNode s) =>
        new(s.Value ?? "", YamlNodes.TryNumber(s, out var x) ? x : null, r.Span(s));
}
