using System.Diagnostics;

namespace NetSpec.Tests.Cli;

/// <summary>
/// ./netspec builds Native AOT where clang is installed and ReadyToRun elsewhere; the tests run
/// the JIT build. All must print the same thing: tools/check-builds.sh builds each kind and
/// compares every spec's console output and trace byte for byte.
/// </summary>
[TestClass]
public sealed class BuildKindsTests
{
    [TestMethod]
    [Timeout(900_000, CooperativeCancellation = true)]
    public void Every_kind_of_build_prints_the_same_output_for_every_spec()
    {
        var psi = new ProcessStartInfo("bash", [Path.Combine(TestPaths.Root, "tools", "check-builds.sh")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = TestPaths.Root,
        };
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.AreEqual(0, p.ExitCode, stdout + stderr.Result);
        StringAssert.Contains(stdout, "all outputs identical");
    }
}
