using NetSpec.Fuzz;

namespace NetSpec.Tests.Fuzz;

/// <summary>
/// A bounded, seeded run of the mutation fuzzer of tools/NetSpec.Fuzz over the valid specs: every
/// mutant must load to a graph that runs, or to diagnostics that all carry a position, and never
/// throw. The driver (<c>dotnet run --project tools/NetSpec.Fuzz -- --count N</c>) runs it longer.
/// </summary>
[TestClass]
public sealed class MutationFuzzTests
{
    private const int Cases = 3000;

    [TestMethod]
    public void MutatedSpecsAreRunOrRefusedWithPositionedDiagnosticsNeverAnException()
    {
        var inputs = Directory.EnumerateFiles(TestPaths.Specs, "*.yaml").Order(StringComparer.Ordinal).Select(File.ReadAllText).ToArray();
        Assert.IsNotEmpty(inputs);
        int valid = 0, invalid = 0;
        var findings = new List<string>();
        for (int i = 0; i < Cases; i++)
        {
            var rng = new Random(unchecked(20_240_601 * 31 + i));
            string text = SpecMutator.Mutate(inputs[rng.Next(inputs.Length)], rng);
            var result = FuzzCase.Run(text);
            switch (result.Outcome)
            {
                case FuzzOutcome.Valid: valid++; break;
                case FuzzOutcome.Invalid: invalid++; break;
                default: findings.Add($"case {i}: {result.Problem}\n--- input ---\n{text}\n---"); break;
            }
        }
        Assert.IsEmpty(findings, string.Join("\n\n", findings.Take(3)));
        // Both kinds of outcome occur, so the mutations neither leave specs intact nor only break them.
        Assert.IsGreaterThan(Cases / 20, valid);
        Assert.IsGreaterThan(Cases / 2, invalid);
    }

    [TestMethod]
    public void TheSameSeedGivesTheSameMutant()
    {
        var text = File.ReadAllText(Path.Combine(TestPaths.Specs, "lab07.yaml"));
        for (int seed = 0; seed < 50; seed++)
            Assert.AreEqual(SpecMutator.Mutate(text, new Random(seed)), SpecMutator.Mutate(text, new Random(seed)));
    }

    [TestMethod]
    public void AValidSpecRunsAndABadOneIsInvalidNotAFinding()
    {
        // A spec with a diagnostic is "invalid", a valid one runs; neither is a finding.
        Assert.AreEqual(FuzzOutcome.Invalid, FuzzCase.Run("netspec: 1\nnetwork:\n  h: {op: reul, x: x}\n").Outcome);
        Assert.AreEqual(FuzzOutcome.Valid, FuzzCase.Run(File.ReadAllText(Path.Combine(TestPaths.Specs, "lab07.yaml"))).Outcome);
    }
}
