using System.CommandLine;
using NetSpec.Runtime;

namespace NetSpec.Cli.Commands;

/// <summary><c>netspec graph &lt;spec&gt; [--format mermaid|dot]</c>: the network as a diagram, as text.</summary>
internal static class GraphCommand
{
    public static Command Create(CommonOptions common)
    {
        var spec = new Argument<string>("spec") { Description = "The spec file (YAML)" };
        var format = new Option<string>("--format", "-f") { Description = "mermaid (renders on GitHub) or dot (Graphviz)", DefaultValueFactory = _ => "mermaid" };
        format.AcceptOnlyFromAmong("mermaid", "dot");
        var cmd = new Command("graph", "Print the network as a Mermaid or Graphviz DOT diagram: names, ops, parameter and value shapes") { spec, format };
        common.AddTo(cmd);
        cmd.SetAction(r =>
        {
            var loaded = NetSpecEngine.Load(r.GetValue(spec)!, common.Limits(r));
            Reporting.Diagnostics(Console.Error, loaded);
            if (!loaded.Ok) return ExitCodes.InvalidSpec;
            Console.Out.Write(r.GetValue(format) == "dot" ? GraphText.Dot(loaded.Graph!) : GraphText.Mermaid(loaded.Graph!));
            return ExitCodes.Success;
        });
        return cmd;
    }
}
