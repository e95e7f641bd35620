using static NetSpec.Tests.Cli.CliRunner;

namespace NetSpec.Tests.Cli;

/// <summary>The Serilog adapter (<c>run --trace-serilog</c>) renders the same text and JSON lines as NetSpec's own sinks.</summary>
[TestClass]
public sealed class SerilogTraceTests
{
    [TestMethod]
    [DataRow("lab07.yaml")]
    [DataRow("optimizer-adam.yaml")]
    [DataRow("batch-of-two.yaml")]
    public void Through_Serilog_the_trace_is_byte_for_byte_the_same(string spec)
    {
        var own = Path.GetTempFileName();
        var serilog = Path.GetTempFileName();
        try
        {
            var a = Invoke("run", Path.Combine(TestPaths.Specs, spec), "--trace-file", own);
            var b = Invoke("run", Path.Combine(TestPaths.Specs, spec), "--trace-file", serilog, "--trace-serilog");
            Assert.AreEqual(0, a.Code, a.Err);
            Assert.AreEqual(a.Out, b.Out);
            Assert.AreEqual(a.Err, b.Err);
            CollectionAssert.AreEqual(File.ReadAllBytes(own), File.ReadAllBytes(serilog));
            CollectionAssert.AreEqual(File.ReadAllBytes(Path.Combine(TestPaths.Golden, Path.GetFileNameWithoutExtension(spec) + ".trace.jsonl")), File.ReadAllBytes(own), "the golden trace, byte for byte");
        }
        finally
        {
            File.Delete(own);
            File.Delete(serilog);
        }
    }
}
