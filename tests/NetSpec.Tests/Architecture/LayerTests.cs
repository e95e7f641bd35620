using System.Reflection;
using NetArchTest.Rules;
using NetSpec.Cli.Commands;
using NetSpec.Onnx;
using NetSpec.Parser;
using NetSpec.Runtime;

namespace NetSpec.Tests.Architecture;

/// <summary>
/// The layers run one way (src/NetSpec.Runtime/README.md):
/// <code>Parser &lt;- {Tensors, Kernels} &lt;- Ops &lt;- Graph &lt;- Trace &lt;- Execution &lt;- {Training, Checks} &lt;- {Explaining, Torch} &lt;- Engine &lt;- Onnx &lt;- Cli</code>
/// The Ops layer includes Explain, the language an op's explanation is written in (its arithmetic
/// tree, renderers and document); Explaining builds explanations of whole runs from their traces.
/// Each layer may use only the layers left of it; layers in braces do not use each other. The
/// command (Cli) is the outermost edge and offers ONNX export and import, so it may use Onnx.
/// </summary>
[TestClass]
public sealed class LayerTests
{
    /// <summary>A layer: its name and the namespaces it is made of (the Engine is the root namespace NetSpec.Runtime alone).</summary>
    private sealed record Layer(string Name, int Rank, params string[] Namespaces);

    private static readonly Layer[] Layers =
    [
        new("Parser", 0, "NetSpec.Parser"),
        new("Tensors", 1, "NetSpec.Runtime.Tensors"),
        new("Kernels", 1, "NetSpec.Runtime.Kernels"),
        new("Ops", 2, "NetSpec.Runtime.Ops", "NetSpec.Runtime.Explain"),
        new("Graph", 3, "NetSpec.Runtime.Graph"),
        new("Trace", 4, "NetSpec.Runtime.Trace"),
        new("Execution", 5, "NetSpec.Runtime.Execution"),
        new("Training", 6, "NetSpec.Runtime.Training"),
        new("Checks", 6, "NetSpec.Runtime.Checks"),
        new("Explaining", 7, "NetSpec.Runtime.Explaining"),
        new("Torch", 7, "NetSpec.Runtime.Torch"), // the PyTorch export: above Training, beside Explaining
        new("Engine", 8, "NetSpec.Runtime"),
        new("Onnx", 9, "NetSpec.Onnx"),
        new("Cli", 10, "NetSpec.Cli"),
    ];

    private static readonly Assembly[] Assemblies =
    [
        typeof(SpecParser).Assembly,
        typeof(NetSpecEngine).Assembly,
        typeof(OnnxExporter).Assembly,
        typeof(RunCommand).Assembly,
    ];

    private static bool InLayer(string? ns, Layer layer) =>
        ns is not null && layer.Namespaces.Any(n => layer.Name == "Engine" ? ns == n : ns == n || ns.StartsWith(n + ".", StringComparison.Ordinal));

    /// <summary>
    /// What a dependency on <paramref name="layer"/> looks like to NetArchTest: a namespace (which
    /// covers its types and sub-namespaces, not NetSpec.Runtime.Training for NetSpec.Runtime.Trace)
    /// or, for the Engine, the full name of each of its types.
    /// </summary>
    private static string[] Prefixes(Layer layer) => layer.Name == "Engine"
        ? [.. Assemblies.SelectMany(a => a.GetTypes()).Where(t => t.Namespace == "NetSpec.Runtime").Select(t => t.FullName!).Where(n => !n.Contains('<') && !n.Contains('+'))]
        : layer.Namespaces;

    public static IEnumerable<object[]> LayerNames => Layers.Select(l => new object[] { l.Name });

    [TestMethod]
    public void Every_namespace_of_the_four_assemblies_belongs_to_a_layer()
    {
        var stray = Assemblies.SelectMany(a => a.GetTypes())
            .Select(t => t.Namespace)
            .Where(ns => ns is not null && ns.StartsWith("NetSpec", StringComparison.Ordinal) && !Layers.Any(l => InLayer(ns, l)))
            .Distinct()
            .ToList();
        Assert.IsEmpty(stray, "namespaces outside every layer: " + string.Join(", ", stray));
    }

    [TestMethod]
    [DynamicData(nameof(LayerNames))]
    public void A_layer_uses_only_the_layers_left_of_it(string name)
    {
        var layer = Layers.Single(l => l.Name == name);
        var problems = new List<string>();
        foreach (var other in Layers.Where(o => o != layer && o.Rank >= layer.Rank))
        {
            var types = Types.InAssemblies(Assemblies).That().ResideInNamespaceMatching(Pattern(layer));
            var result = types.ShouldNot().HaveDependencyOnAny(Prefixes(other)).GetResult();
            if (!result.IsSuccessful)
                problems.Add($"{layer.Name} must not use {other.Name}, but {string.Join(", ", result.FailingTypeNames ?? [])} do{(result.FailingTypeNames?.Count == 1 ? "es" : "")}");
        }
        Assert.IsEmpty(problems, string.Join("\n", problems));
    }

    /// <summary>A regular expression for the layer's namespaces (the Engine's exactly; the others with their sub-namespaces).</summary>
    private static string Pattern(Layer layer) =>
        string.Join("|", layer.Namespaces.Select(n => layer.Name == "Engine"
            ? $"^{n.Replace(".", "\\.", StringComparison.Ordinal)}$"
            : $"^{n.Replace(".", "\\.", StringComparison.Ordinal)}(\\..*)?$"));
}
