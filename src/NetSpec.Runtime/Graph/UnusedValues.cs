using NetSpec.Parser.Diagnostics;
using NetSpec.Parser.Model;

namespace NetSpec.Runtime.Graph;

/// <summary>
/// Warns about values nothing uses: data or parameters no node takes, and, in a spec with a
/// backward section, nodes whose output nothing takes and nothing expects. Only worth doing in
/// a spec without errors: in one with errors, unused values are mostly a consequence of them.
/// </summary>
internal static class UnusedValues
{
    public static void Warn(SpecDocument spec, ValueTable values, int backwardFrom, DiagnosticBag d)
    {
        // Every name a node writes as an argument counts as used, bound or not, so a node
        // refused for another reason does not make its inputs look unused.
        var used = new bool[values.Count];
        foreach (var n in spec.Network)
            foreach (var a in n.Args)
            {
                if (a.Value is ArgList l)
                {
                    foreach (var r in l.Items) Use(r);
                }
                else Use((ArgScalar)a.Value);
            }
        void Use(ArgScalar r)
        {
            if (values.TryFind(r.Text, out var vi)) used[vi] = true;
        }
        if (backwardFrom >= 0) used[backwardFrom] = true;
        var expected = new HashSet<string>(spec.Expectations.Select(e => e.Name.Name), StringComparer.Ordinal);
        foreach (var v in values.All)
        {
            if (used[v.Index]) continue;
            switch (v.Kind)
            {
                case ValueKind.Data or ValueKind.Parameter:
                    d.Warning(Codes.UnusedNode, v.Span, $"{(v.Kind == ValueKind.Data ? "data" : "parameter")} '{v.Name}' is not used by any node");
                    break;
                case ValueKind.Node when backwardFrom >= 0 && !expected.Contains(v.Name):
                    d.Warning(Codes.UnusedNode, v.Span, $"node '{v.Name}' is not used: nothing takes its output and the objective does not depend on it");
                    break;
            }
        }
    }
}
