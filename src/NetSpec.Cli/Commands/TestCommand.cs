using System.CommandLine;
using NetSpec.Runtime;

namespace NetSpec.Cli.Commands;

/// <summary><c>netspec test [folder]</c>: run every spec's expectations, a line each and a summary.</summary>
internal static class TestCommand
{
    public static Command Create(CommonOptions common)
    {
        var folder = new Argument<string>("folder") { Description = "Folder of specs (searched recursively for *.yaml)", DefaultValueFactory = _ => "specs" };
        var quiet = CommonOptions.Quiet();
        var cmd = new Command("test", "Run every spec in a folder and check its expectations") { folder, quiet };
        common.AddTo(cmd);
        cmd.SetAction(r =>
        {
            var dir = r.GetValue(folder)!;
            if (!Directory.Exists(dir))
            {
                Console.Error.WriteLine($"netspec: '{dir}' is not a folder");
                return ExitCodes.Usage;
            }
            var files = Directory.EnumerateFiles(dir, "*.yaml", SearchOption.AllDirectories)
                .Order(StringComparer.Ordinal).ToList();
            int passed = 0, failed = 0, invalid = 0;
            foreach (var path in files)
            {
                var loaded = NetSpecEngine.Load(path, common.Limits(r));
                if (!loaded.Ok)
                {
                    invalid++;
                    Console.Out.WriteLine($"INVALID {path}");
                    Reporting.Diagnostics(Console.Out, loaded);
                    continue;
                }
                var result = NetSpecEngine.Run(loaded.Graph!);
                int n = result.Expectations.Count + result.Metrics.Count, bad = result.Expectations.Count(e => !e.Passed) + result.Metrics.Count(m => !m.Passed);
                if (result.AllPassed)
                {
                    passed++;
                    if (!r.GetValue(quiet)) Console.Out.WriteLine($"PASS    {path} ({n} expectation{(n == 1 ? "" : "s")})");
                }
                else
                {
                    failed++;
                    Console.Out.WriteLine($"FAIL    {path} ({bad} of {n} expectations failed{(result.Fault is not null ? "; stopped at a NaN or infinity" : "")})");
                    if (result.Fault is { } f) Reporting.Fault(Console.Out, f);
                    else
                    {
                        Reporting.Expectations(Console.Out, result with { Expectations = [.. result.Expectations.Where(e => !e.Passed)] });
                        Reporting.Metrics(Console.Out, result with { Metrics = [.. result.Metrics.Where(m => !m.Passed)] });
                    }
                }
            }
            Console.Out.WriteLine($"specs: {passed} passed, {failed + invalid} failed");
            return invalid > 0 ? ExitCodes.InvalidSpec : failed > 0 ? ExitCodes.ExpectationFailed : ExitCodes.Success;
        });
        return cmd;
    }
}
