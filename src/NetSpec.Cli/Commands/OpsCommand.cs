using System.CommandLine;
using NetSpec.Parser.Diagnostics;
using NetSpec.Runtime.Ops;

namespace NetSpec.Cli.Commands;

/// <summary>
/// <c>netspec ops [NAME] [--format text|markdown|json]</c>: every op with its formula, grouped
/// by category, or everything about one op; the text comes from <see cref="OpCatalog"/>, as the
/// docs' op tables do. The hidden <c>--write-docs ROOT</c> rewrites the generated regions of the
/// docs and docs/netspec.schema.json under ROOT (run by tools/update-generated.sh).
/// </summary>
internal static class OpsCommand
{
    public static Command Create()
    {
        var name = new Argument<string?>("name") { Description = "An op's name: show everything about it", Arity = ArgumentArity.ZeroOrOne };
        var format = new Option<string>("--format", "-f") { Description = "text, markdown (as in docs/ops.md) or json", DefaultValueFactory = _ => "text" };
        format.AcceptOnlyFromAmong("text", "markdown", "json");
        var writeDocs = new Option<string?>("--write-docs") { Description = "Rewrite the generated regions of the docs under this repository root", Hidden = true };
        var cmd = new Command("ops", "List every op with its formula, or show one op: inputs, attributes, formulas, shape rule, ONNX forms, an example") { name, format, writeDocs };
        cmd.SetAction(r =>
        {
            if (r.GetValue(writeDocs) is { } root) return WriteDocs(root);
            var ops = OpRegistry.All.ToList();
            string fmt = r.GetValue(format)!;
            if (r.GetValue(name) is not { } n)
            {
                Console.Out.Write(fmt switch
                {
                    "markdown" => OpCatalog.ReferenceTable(ops) + "\n" + OpCatalog.Sections(ops),
                    "json" => OpSchema.Write(OpCatalog.Json(ops)),
                    _ => OpCatalog.ListText(ops),
                });
                return ExitCodes.Success;
            }
            if (OpRegistry.Find(n) is not { } op)
            {
                Console.Error.WriteLine($"netspec: unknown op '{n}'{Suggest.DidYouMean(n, OpRegistry.Names)}");
                Console.Error.WriteLine("Try 'netspec ops' for the list.");
                return ExitCodes.Usage;
            }
            Console.Out.Write(fmt switch
            {
                "markdown" => OpCatalog.Markdown(op),
                "json" => OpSchema.Write(OpCatalog.Json(op)),
                _ => OpCatalog.Text(op),
            });
            return ExitCodes.Success;
        });
        return cmd;
    }

    /// <summary>Rewrites every generated file under <paramref name="root"/>; prints each one that changed.</summary>
    internal static int WriteDocs(string root)
    {
        var ops = OpRegistry.All.ToList();
        var files = GeneratedRegions.Files.Select(f => (Path: Path.Combine(root, f), Update: (Func<string, string>)(t => GeneratedRegions.Update(t, ops))))
            .Append((Path: Path.Combine(root, "docs", "netspec.schema.json"), Update: t => OpSchema.Merge(t, ops)))
            .Append((Path: Path.Combine(root, CliDocs.File), Update: t => CliDocs.Update(t, Program.BuildRoot())));
        foreach (var (path, update) in files)
        {
            if (!File.Exists(path))
            {
                Console.Error.WriteLine($"netspec: {path} not found: --write-docs takes the repository root");
                return ExitCodes.Usage;
            }
            string old = File.ReadAllText(path), now;
            try
            {
                now = update(old);
            }
            catch (Exception e) when (e is FormatException or ArgumentException or System.Text.Json.JsonException)
            {
                Console.Error.WriteLine($"netspec: {path}: {e.Message}");
                return ExitCodes.InvalidSpec;
            }
            if (now == old) continue;
            File.WriteAllText(path, now);
            Console.Out.WriteLine($"wrote {path}");
        }
        return ExitCodes.Success;
    }
}
