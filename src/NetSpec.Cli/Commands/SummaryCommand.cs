using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using NetSpec.Runtime;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace NetSpec.Cli.Commands;

/// <summary>
/// <c>netspec summary &lt;spec&gt; [--format text|json]</c>: Keras' model.summary() for a spec:
/// every data input and node with its op, output shape per sample and at the spec's batch size,
/// the parameters it reads and its FLOPs; then the totals (see <see cref="ModelSummary"/>).
/// </summary>
internal static class SummaryCommand
{
    public static Command Create(CommonOptions common)
    {
        var spec = new Argument<string>("spec") { Description = "The spec file (YAML)" };
        var format = new Option<string>("--format", "-f") { Description = "text (a table) or json (for tools; the fields are in docs/cli.md)", DefaultValueFactory = _ => "text" };
        format.AcceptOnlyFromAmong("text", "json");
        var cmd = new Command("summary", "Summarize a network like Keras' model.summary(): each node's op, output shape and parameters; totals of parameters (trainable, frozen), FLOPs per sample and bytes at the batch size")
        {
            spec, format,
        };
        common.AddTo(cmd);
        cmd.SetAction(r =>
        {
            var loaded = NetSpecEngine.Load(r.GetValue(spec)!, common.Limits(r));
            Reporting.Diagnostics(Console.Error, loaded);
            if (!loaded.Ok) return ExitCodes.InvalidSpec;
            var summary = ModelSummary.Of(loaded.Graph!);
            if (r.GetValue(format) == "json") Console.Out.Write(Json(summary, r.GetValue(spec)!));
            else Text(summary, Console.Out, terminal: !Console.IsOutputRedirected);
            return ExitCodes.Success;
        });
        return cmd;
    }

    private static string N(double v) => v.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>"67.3 KiB": bytes in binary units.</summary>
    internal static string Bytes(long b) => b switch
    {
        < 1024 => $"{b} B",
        < 1024 * 1024 => $"{(b / 1024.0).ToString("0.0", CultureInfo.InvariantCulture)} KiB",
        < 1024L * 1024 * 1024 => $"{(b / (1024.0 * 1024)).ToString("0.0", CultureInfo.InvariantCulture)} MiB",
        _ => $"{(b / (1024.0 * 1024 * 1024)).ToString("0.0", CultureInfo.InvariantCulture)} GiB",
    };

    /// <summary>
    /// The table and the totals. On a terminal the table has rounded borders; otherwise (a file,
    /// a pipe, a test) plain ASCII, as wide as it needs, so it reads the same in any viewer.
    /// </summary>
    public static void Text(ModelSummary s, TextWriter output, bool terminal = false)
    {
        var g = s.Graph;
        string dtype = g.Spec.DType.ToString().ToLowerInvariant();
        bool perSample = s.HasPerSample;
        // Without a batch axis (data of several batch sizes, or shapes written for one), the figures are for the data as written.
        string atBatch = perSample ? $"at batch {s.BatchSize}" : "for the data as written";
        output.WriteLine(perSample
            ? $"Model: {g.Spec.Name} ({dtype}, batch size {s.BatchSize}{(g.Spec.Training is not null ? ", the training batch" : ", the spec's data")})"
            : $"Model: {g.Spec.Name} ({dtype}, the spec's data as written: no batch axis found)");
        var table = new Table().Border(terminal ? TableBorder.Rounded : TableBorder.Ascii);
        string flopsOf = perSample ? "per sample" : atBatch;
        table.AddColumn(new TableColumn("value (op)"));
        table.AddColumn(new TableColumn("shape per sample"));
        table.AddColumn(new TableColumn($"shape {atBatch}"));
        table.AddColumn(new TableColumn("parameters").RightAligned());
        table.AddColumn(new TableColumn($"forward FLOPs {flopsOf}").RightAligned());
        table.AddColumn(new TableColumn($"backward FLOPs {flopsOf}").RightAligned());
        foreach (var r in s.Rows)
        {
            var f = perSample ? r.PerSampleFlops ?? default : r.AtBatchFlops;
            string parameters = r.Parameters.Count == 0 ? (r.Op is null ? "" : "0") : $"{N(r.ParameterCount)} ({string.Join(", ", r.Parameters.Select(p => p.Name))})";
            table.AddRow(Cell(r.Op is null ? $"{r.Name} (data)" : $"{r.Name} ({r.Op.Name})"), Cell(r.PerSample?.ToString() ?? "?"), Cell(r.AtBatch.ToString()),
                Cell(parameters), Cell(r.Op is null ? "" : N(f.Forward)), Cell(r.Op is null ? "" : N(f.Backward)));
        }
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = terminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = terminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(output),
        });
        if (!terminal) console.Profile.Width = 100_000;
        console.Write(table);
        long frozen = s.FrozenCount;
        output.WriteLine($"Total parameters: {N(s.ParameterCount)} ({Bytes(s.ParameterBytes)})");
        output.WriteLine($"  trainable: {N(s.TrainableCount)} ({Bytes(s.TrainableCount * s.ElementBytes)})");
        output.WriteLine($"  frozen:    {N(frozen)} ({Bytes(frozen * s.ElementBytes)}){(frozen > 0 ? "  (not updated by the optimizer)" : "")}");
        if (s.PerSampleFlops is { } one)
            output.WriteLine($"FLOPs per sample: forward {N(one.Forward)}, backward {N(one.Backward)}");
        else
            output.WriteLine("FLOPs per sample: unknown (the graph does not build at another batch size, so its batch axis is not known)");
        var at = s.AtBatchFlops;
        output.WriteLine($"FLOPs {atBatch}: forward {N(at.Forward)}, backward {N(at.Backward)}{(g.BackwardFrom < 0 ? " (no backward section)" : "")}");
        output.WriteLine($"Activations {atBatch}: {Bytes(s.ActivationBytes)} (every node's output, {dtype}); data {Bytes(s.DataBytes)}");
        output.WriteLine("(a multiply-add counts 2 FLOPs; backward counts the gradients the run computes; see docs/cli.md)");
    }

    private static IRenderable Cell(string s) => new Text(s);

    /// <summary>The summary as JSON (fields in docs/cli.md).</summary>
    public static string Json(ModelSummary s, string path)
    {
        var g = s.Graph;
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("spec", path);
            w.WriteString("name", g.Spec.Name);
            w.WriteString("dtype", g.Spec.DType.ToString().ToLowerInvariant());
            w.WriteNumber("element_bytes", s.ElementBytes);
            w.WriteNumber("batch_size", s.BatchSize);
            w.WriteBoolean("per_sample_known", s.HasPerSample);
            w.WriteStartArray("values");
            foreach (var r in s.Rows)
            {
                w.WriteStartObject();
                w.WriteString("name", r.Name);
                w.WriteString("kind", r.Op is null ? "data" : "node");
                if (r.Op is null) w.WriteNull("op");
                else w.WriteString("op", r.Op.Name);
                w.WriteString("expression", r.Expression);
                Dims(w, "shape_per_sample", r.PerSample);
                Dims(w, "shape_at_batch", r.AtBatch);
                w.WriteNumber("parameters", r.ParameterCount);
                w.WriteStartArray("parameter_names");
                foreach (var p in r.Parameters) w.WriteStringValue(p.Name);
                w.WriteEndArray();
                Flops(w, "flops_per_sample", r.Op is null ? default : r.PerSampleFlops);
                Flops(w, "flops_at_batch", r.Op is null ? default(FlopCount) : r.AtBatchFlops);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("parameters");
            foreach (var p in s.Parameters)
            {
                w.WriteStartObject();
                w.WriteString("name", p.Name);
                Dims(w, "shape", p.Shape);
                w.WriteNumber("count", p.Shape.Length);
                w.WriteBoolean("trainable", !ModelSummary.IsFrozen(g, p));
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartObject("totals");
            w.WriteNumber("parameters", s.ParameterCount);
            w.WriteNumber("trainable", s.TrainableCount);
            w.WriteNumber("frozen", s.FrozenCount);
            w.WriteNumber("parameter_bytes", s.ParameterBytes);
            w.WriteNumber("activation_bytes_at_batch", s.ActivationBytes);
            w.WriteNumber("data_bytes_at_batch", s.DataBytes);
            Flops(w, "flops_per_sample", s.PerSampleFlops);
            Flops(w, "flops_at_batch", s.AtBatchFlops);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }

    private static void Dims(Utf8JsonWriter w, string name, Shape? shape)
    {
        if (shape is null)
        {
            w.WriteNull(name);
            return;
        }
        w.WriteStartArray(name);
        foreach (int d in shape.ToArray()) w.WriteNumberValue(d);
        w.WriteEndArray();
    }

    private static void Flops(Utf8JsonWriter w, string name, FlopCount? f)
    {
        if (f is not { } v)
        {
            w.WriteNull(name);
            return;
        }
        w.WriteStartObject(name);
        w.WriteNumber("forward", v.Forward);
        w.WriteNumber("backward", v.Backward);
        w.WriteEndObject();
    }
}
