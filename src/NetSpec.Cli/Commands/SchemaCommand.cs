using System.CommandLine;

namespace NetSpec.Cli.Commands;

/// <summary>
/// <c>netspec schema</c>: prints the JSON Schema (draft 2020-12) of the spec format, the file
/// docs/netspec.schema.json embedded in the command, for editors (see docs/editor.md).
/// </summary>
internal static class SchemaCommand
{
    public const string ResourceName = "NetSpec.Cli.netspec.schema.json";

    public static Command Create()
    {
        var cmd = new Command("schema", "Print the JSON Schema of the spec format (for editors: see docs/editor.md)");
        cmd.SetAction(_ =>
        {
            Console.Out.Write(Text());
            return ExitCodes.Success;
        });
        return cmd;
    }

    /// <summary>The schema's text, exactly as checked in.</summary>
    public static string Text()
    {
        using var stream = typeof(SchemaCommand).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"the build lost the embedded resource {ResourceName}");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
