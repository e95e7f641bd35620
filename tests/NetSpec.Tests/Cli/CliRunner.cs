using NetSpec.Cli;

namespace NetSpec.Tests.Cli;

/// <summary>Runs the netspec command in-process, capturing what it writes to stdout and stderr.</summary>
internal static class CliRunner
{
    public static (int Code, string Out, string Err) Invoke(params string[] args)
    {
        var (oldOut, oldErr) = (Console.Out, Console.Error);
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        try
        {
            Console.SetOut(stdout);
            Console.SetError(stderr);
            int code = Program.Invoke(args);
            return (code, stdout.ToString().Replace("\r\n", "\n", StringComparison.Ordinal), stderr.ToString().Replace("\r\n", "\n", StringComparison.Ordinal));
        }
        finally
        {
            Console.SetOut(oldOut);
            Console.SetError(oldErr);
        }
    }
}
