using System.CommandLine;
using NetSpec.Runtime;

namespace NetSpec.Cli.Commands;

/// <summary><c>netspec check &lt;spec&gt;...</c>: parse and validate without computing anything.</summary>
internal static class CheckCommand
{
    public static Command Create(CommonOptions common)
    {
        var specs = new Argument<string[]>("spec") { Description = "One or more spec files", Arity = ArgumentArity.OneOrMore };
        var quiet = CommonOptions.Quiet();
        var cmd = new Command("check", "Parse and validate specs (names, shapes, expectations) without running them") { specs, quiet };
        common.AddTo(cmd);
        cmd.SetAction(r =>
        {
            int code = ExitCodes.Success, ok = 0, invalid = 0;
            foreach (var path in r.GetValue(specs)!)
            {
                var loaded = NetSpecEngine.Load(path, common.Limits(r));
                Reporting.Diagnostics(Console.Error, loaded);
                if (!loaded.Ok)
                {
                    code = ExitCodes.InvalidSpec;
                    invalid++;
                    continue;
                }
                ok++;
                if (r.GetValue(quiet)) continue;
                var g = loaded.Graph!;
                int parameters = g.Values.Count(v => v.Kind == Runtime.Graph.ValueKind.Parameter);
                Console.Out.WriteLine($"ok: {path} ({g.Nodes.Count} node{(g.Nodes.Count == 1 ? "" : "s")}, {parameters} parameter{(parameters == 1 ? "" : "s")}, {g.Expectations.Count} expectation{(g.Expectations.Count == 1 ? "" : "s")})");
            }
            if (r.GetValue(quiet)) Console.Out.WriteLine($"check: {ok} ok, {invalid} invalid");
            return code;
        });
        return cmd;
    }
}
