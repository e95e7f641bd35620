using NetSpec.Parser.Diagnostics;
using NetSpec.Parser.Model;
using NetSpec.Parser.Reading;
using NetSpec.Parser.Yaml;
using YamlDotNet.RepresentationModel;

namespace NetSpec.Parser.Sections;

/// <summary>
/// <c>parameters:</c>, the tensors the optimizer updates: name: tensor, name: an initializer, or
/// name: {value: tensor}; the last two may say <c>trainable: false</c> (a frozen parameter).
/// </summary>
internal static class ParametersSection
{
    public static readonly string[] InitializerKinds =
        ["zeros", "ones", "constant", "uniform", "normal", "xavier_uniform", "he_normal"];

    public static readonly string[] InitializerKeys = ["init", "shape", "seed", "value", "low", "high", "mean", "std", "trainable"];

    /// <summary>The keys of a parameter written out as a mapping: <c>{value: [0.1, 0.2], trainable: false}</c>.</summary>
    public static readonly string[] ValueKeys = ["value", "trainable"];

    public static List<ParameterDecl> Read(SpecReader r, YamlNode node)
    {
        var list = new List<ParameterDecl>();
        if (r.Mapping(node, "'parameters'") is not { } map) return list;
        foreach (var (key, keyNode, value) in r.Entries(map))
        {
            bool declared = r.Declare(key, keyNode, "parameter");
            if (value is YamlMappingNode written && IsValue(written))
            {
                var o = r.Fields(written, ValueKeys, $"parameter '{key}'");
                bool trainable = Trainable(r, o, out bool ok);
                var t = o.TryGet("value", out var v) ? TensorReader.Read(r, v.Value, $"parameter '{key}'") : null;
                if (r.Keep(key, declared, t is not null && ok))
                    list.Add(new ParameterDecl(key, t, null, r.Span(keyNode)) { Trainable = trainable });
            }
            else if (value is YamlMappingNode init)
            {
                var decl = Initializer(r, init, key, out bool trainable);
                if (r.Keep(key, declared, decl is not null)) list.Add(new ParameterDecl(key, null, decl, r.Span(keyNode)) { Trainable = trainable });
            }
            else
            {
                var t = TensorReader.Read(r, value, $"parameter '{key}'");
                if (r.Keep(key, declared, t is not null)) list.Add(new ParameterDecl(key, t, null, r.Span(keyNode)));
            }
        }
        return list;
    }

    /// <summary>A mapping with <c>value:</c> and no initializer key but <c>trainable</c>: values written out.</summary>
    private static bool IsValue(YamlMappingNode map)
    {
        bool value = false;
        foreach (var key in map.Children.Keys)
        {
            if (key is not YamlScalarNode { Value: { } k }) return false;
            if (k == "value") value = true;
            else if (k != "trainable" && Array.IndexOf(InitializerKeys, k) >= 0) return false;
        }
        return value;
    }

    /// <summary><c>trainable:</c>, true or false (true when left out); <paramref name="ok"/> is false after a mistake.</summary>
    private static bool Trainable(SpecReader r, Fields o, out bool ok)
    {
        ok = true;
        if (!o.TryGet("trainable", out var t)) return true;
        ok = r.Bool(t.Value, "trainable", out bool trainable);
        return !ok || trainable;
    }

    private static InitializerDecl? Initializer(SpecReader r, YamlMappingNode map, string param, out bool trainable)
    {
        var e = r.Fields(map, InitializerKeys, $"the initializer of '{param}'");
        trainable = Trainable(r, e, out bool ok);
        NameRef? kind = null;
        if (!e.Require("init", $"the initializer of '{param}' needs 'init:' ({string.Join(", ", InitializerKinds)})", out var k)) ok = false;
        else ok &= (kind = r.Choice(k.Value, "init", "initializer", InitializerKinds)) is not null;
        int[]? shape = null;
        if (!e.Require("shape", $"the initializer of '{param}' needs 'shape:', e.g. [out, in]", out var sh)) ok = false;
        else ok &= (shape = Shape(r, sh.Value, param)) is not null;
        ulong seed = 0;
        if (e.TryGet("seed", out var se)) ok &= r.Seed(se.Value, out seed);
        var options = new Dictionary<string, NumberValue>(StringComparer.Ordinal);
        foreach (var (key, entry) in e.All)
        {
            if (key is "init" or "shape" or "seed" or "trainable") continue;
            if (r.Number(entry.Value, $"'{key}' of the initializer of '{param}'") is { } nv) options[key] = nv;
            else ok = false;
        }
        if (shape is not null && !r.CountElements(Elements(shape), e.Span)) ok = false;
        return ok && kind is not null && shape is not null ? new InitializerDecl(kind, shape, seed, options, e.Span) : null;
    }

    private static int[]? Shape(SpecReader r, YamlNode node, string param)
    {
        if (node is YamlSequenceNode { Children.Count: > TensorLiteral.MaxRank } deep)
        {
            r.Error(Codes.TensorRank, deep, $"the shape of '{param}' has {deep.Children.Count} dimensions: a tensor has at most {TensorLiteral.MaxRank}");
            return null;
        }
        if (node is YamlSequenceNode { Children.Count: >= 1 } seq)
        {
            var dims = new int[seq.Children.Count];
            for (int i = 0; i < dims.Length; i++)
            {
                if (SpecReader.TryDigits(seq.Children[i], out var d) && d >= 1) dims[i] = d;
                else
                {
                    r.Error(Codes.InvalidValue, seq.Children[i], $"a dimension of '{param}' must be a positive integer, not {YamlNodes.Describe(seq.Children[i])}");
                    return null;
                }
            }
            return dims;
        }
        r.Error(Codes.InvalidValue, node, $"the shape of '{param}' is a list of 1 to {TensorLiteral.MaxRank} positive integers, e.g. [3, 2]");
        return null;
    }

    /// <summary>The product of the dimensions, long.MaxValue when it does not fit.</summary>
    private static long Elements(int[] dims)
    {
        long n = 1;
        foreach (var d in dims) n = n > long.MaxValue / d ? long.MaxValue : n * d;
        return n;
    }
}
