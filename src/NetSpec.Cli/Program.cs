using System.CommandLine;
using NetSpec.Cli.Commands;

namespace NetSpec.Cli;

internal static class Program
{
    private static int Main(string[] args)
    {
        try
        {
            return Invoke(args);
        }
        catch (Exception e)
        {
            // Only a bug in NetSpec gets here: every mistake in a spec is a diagnostic.
            Console.Out.Flush();
            Console.Error.WriteLine("netspec: internal error: this is a bug in NetSpec, not in your spec.");
            Console.Error.WriteLine("Please report it with the spec and the command line that caused it.");
            Console.Error.WriteLine(e.ToString());
            return ExitCodes.InternalError;
        }
    }

    /// <summary>
    /// The whole command tree, built without running anything: <see cref="Invoke"/> parses a
    /// command line against it, and docs/cli.md's option tables are generated from it
    /// (<see cref="CliDocs"/>).
    /// </summary>
    internal static RootCommand BuildRoot()
    {
        var common = new CommonOptions();
        var root = new RootCommand("NetSpec: describe neural networks as data and watch them compute")
        {
            RunCommand.Create(common),
            CheckCommand.Create(common),
            TestCommand.Create(common),
            GradcheckCommand.Create(common),
            PredictCommand.Create(common),
            EvaluateCommand.Create(common),
            GraphCommand.Create(common),
            ReportCommand.Create(common),
            SchemaCommand.Create(),
            OpsCommand.Create(),
            ExportCommand.Create(common),
            ImportCommand.Create(),
            SummaryCommand.Create(common),
            WorksheetCommand.Create(common),
            CheckAnswersCommand.Create(common),
            CompareCommand.Create(),
        };
        InputChecks.RefuseEmptyStrings(root);
        return root;
    }

    internal static int Invoke(string[] args)
    {
        var root = BuildRoot();
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors) Console.Error.WriteLine($"netspec: {error.Message}");
            Console.Error.WriteLine("Try 'netspec --help'.");
            return ExitCodes.Usage;
        }
        // NetSpec's own handler in Main reports bugs (exit 70); System.CommandLine's would exit 1.
        return parsed.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
    }
}
