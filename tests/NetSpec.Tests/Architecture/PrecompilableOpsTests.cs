using System.Reflection;
using NetSpec.Runtime.Ops;

namespace NetSpec.Tests.Architecture;

/// <summary>
/// What keeps the ops precompiled in the ReadyToRun build (docs/performance.md, "A fourth machine
/// kind"): no op has a generic virtual method (crossgen2 never precompiles one, and under the JIT
/// each call is a runtime lookup), and every concrete op writes its own per-element-type
/// <c>Run</c> lines (a method inherited from a generic base class is not precompiled either).
/// </summary>
[TestClass]
public sealed class PrecompilableOpsTests
{
    private static readonly Type[] OpTypes =
        [.. typeof(Op).Assembly.GetTypes().Where(t => typeof(Op).IsAssignableFrom(t))];

    [TestMethod]
    public void NoOpDeclaresAGenericVirtualMethod()
    {
        var found = OpTypes
            .SelectMany(t => t.GetMethods(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            .Where(m => m.IsVirtual && m.IsGenericMethodDefinition)
            .Select(m => $"{m.DeclaringType!.Name}.{m.Name}")
            .ToList();
        Assert.IsEmpty(found, "generic virtual methods on ops: " + string.Join(", ", found));
    }

    [TestMethod]
    public void EveryConcreteOpDeclaresItsRunMethodsInANonGenericClass()
    {
        var missing = new List<string>();
        foreach (var t in OpTypes.Where(t => !t.IsAbstract))
            foreach (var dtype in new[] { typeof(float), typeof(double) })
            {
                var context = typeof(OpContext<>).MakeGenericType(dtype);
                var run = t.GetMethod("Run", BindingFlags.Instance | BindingFlags.NonPublic, [context, typeof(bool)]);
                var declaring = run?.DeclaringType;
                if (declaring is null || declaring.IsGenericType) missing.Add($"{t.Name} ({dtype.Name}: {declaring?.Name ?? "none"})");
            }
        Assert.IsEmpty(missing, "Run inherited from a generic base: " + string.Join(", ", missing));
    }
}
