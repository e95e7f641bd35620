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

    /// <summary>Every command by name, in the order help lists them, each built on demand.</summary>
    internal static readonly (string Name, Func<CommonOptions, Command> Create)[] Commands =
    [
        ("run", RunCommand.Create),
        ("check", CheckCommand.Create),
        ("test", TestCommand.Create),
        ("gradcheck", GradcheckCommand.Create),
        ("predict", PredictCommand.Create),
        ("evaluate", EvaluateCommand.Create),
        ("graph", GraphCommand.Create),
        ("report", ReportCommand.Create),
        ("schema", _ => SchemaCommand.Create()),
        ("ops", _ => OpsCommand.Create()),
        ("export", ExportCommand.Create),
        ("import", _ => ImportCommand.Create()),
        ("summary", SummaryCommand.Create),
        ("worksheet", WorksheetCommand.Create),
        ("check-answers", CheckAnswersCommand.Create),
        ("compare", _ => CompareCommand.Create()),
    ];

    /// <summary>
    /// The whole command tree, built without running anything: docs/cli.md's option tables are
    /// generated from it (<see cref="CliDocs"/>), and <see cref="Invoke"/> parses against it
    /// unless the command line starts with a command's name.
    /// </summary>
    internal static RootCommand BuildRoot() => BuildRoot(null);

    /// <summary>
    /// The root with every command, or with <paramref name="only"/> alone: a command line that
    /// starts with a command's name parses the same against either (no option is shared through
    /// the root), and building one command instead of sixteen is a few milliseconds of start-up.
    /// </summary>
    internal static RootCommand BuildRoot(string? only)
    {
        var common = new CommonOptions();
        var root = new RootCommand("NetSpec: describe neural networks as data and watch them compute");
        foreach (var (name, create) in Commands)
            if (only is null || name == only) root.Subcommands.Add(create(common));
        InputChecks.RefuseEmptyStrings(root);
        return root;
    }

    internal static int Invoke(string[] args)
    {
        string? name = args.Length > 0 ? args[0] : null;
        var root = BuildRoot(Array.Exists(Commands, c => c.Name == name) ? name : null);
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
