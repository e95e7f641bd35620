using System.CommandLine;
using NetSpec.Runtime.Ops;

namespace NetSpec.Cli.Commands;

/// <summary>
/// <c>netspec schema</c>: prints the JSON Schema (draft 2020-12) of the spec format, for editors
/// (see docs/editor.md): the hand-written part of docs/netspec.schema.json (embedded in the
/// command) with its op part (<c>$defs/node</c>, <c>$defs/opName</c>) generated from the op
/// registry by <see cref="OpSchema"/>. docs/netspec.schema.json is this output
/// (tools/update-generated.sh writes it; a test checks it byte for byte).
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

    /// <summary>The schema's text: the embedded file with its op part generated from the registry.</summary>
    public static string Text() => OpSchema.Merge(BaseText(), OpRegistry.All);

    /// <summary>docs/netspec.schema.json as it was when the command was built.</summary>
    public static string BaseText()
    {
        using var stream = typeof(SchemaCommand).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"the build lost the embedded resource {ResourceName}");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
