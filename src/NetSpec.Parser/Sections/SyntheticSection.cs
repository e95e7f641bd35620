using NetSpec.Parser.Diagnostics;
using NetSpec.Parser.Model;
using NetSpec.Parser.Reading;
using NetSpec.Parser.Yaml;
using YamlDotNet.RepresentationModel;

namespace NetSpec.Parser.Sections;

/// <summary><c>dataset: synthetic:</c>, a generated dataset: sample counts, features, classes and a seed.</summary>
internal static class SyntheticSection
{
    public static readonly string[] Keys = ["samples", "validation_samples", "test_samples", "features", "classes", "seed"];

    public static SyntheticDecl? Read(SpecReader r, YamlNode node)
    {
        if (r.Section(node, "'synthetic'", Keys) is not { } e) return null;
        bool ok = true;
        int Count(string key, int min, int? dflt)
        {
            if (!e.TryGet(key, out var v))
            {
                if (dflt is { } d) return d;
                e.Missing(key, $"'synthetic' needs '{key}:'");
                ok = false;
                return 0;
            }
            if (SpecReader.TryDigits(v.Value, out var n) && n >= min && n <= 10_000_000) return n;
            r.Error(Codes.InvalidValue, v.Value, $"'{key}' is a whole number >= {min}, not {YamlNodes.Describe(v.Value)}");
            ok = false;
            return 0;
        }
        int samples = Count("samples", 1, null);
        int validation = Count("validation_samples", 0, 0);
        int test = Count("test_samples", 0, 0);
        int features = Count("features", 1, null);
        int classes = Count("classes", 2, null);
        ulong seed = 0;
        if (e.TryGet("seed", out var se)) ok &= r.Seed(se.Value, out seed);
        return ok ? new SyntheticDecl(samples, validation, test, features, classes, seed, e.Span) : null;
    }
}
