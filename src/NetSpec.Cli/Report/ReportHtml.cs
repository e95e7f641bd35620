using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using NetSpec.Parser.Model;
using NetSpec.Runtime;
using NetSpec.Runtime.Explain;
using NetSpec.Runtime.Graph;
using NetSpec.Runtime.Trace;

namespace NetSpec.Cli.Report;

/// <summary>What a report shows: the graph, the traced events, the explanation (or why there is none) and the run's result.</summary>
/// <param name="Graph">The spec's network.</param>
/// <param name="Events">The traced forward, backward and update events (epoch metrics are read from the result).</param>
/// <param name="Explanation">The written-out arithmetic, or null.</param>
/// <param name="ExplanationAbsent">Why there is no explanation (a training spec), shown in its place.</param>
/// <param name="Result">The run's expectations, metrics, fault and training report.</param>
/// <param name="Digits">Significant digits of the numbers shown.</param>
internal sealed record ReportInput(NetworkGraph Graph, IReadOnlyList<TraceEvent> Events, ExplainDocument? Explanation, string? ExplanationAbsent, RunResult Result, int Digits)
{
    /// <summary>How many steps the run traced, when <see cref="Events"/> keeps only some of them.</summary>
    public int? TracedSteps { get; init; }
}

/// <summary>
/// The HTML report: one self-contained file (inline CSS, SVG, script and data; a content
/// security policy that forbids every fetch), which opens offline. The graph and the learning
/// curves are SVG drawn here; the values, gradients, updates and explanations are data in a
/// <c>&lt;script type="application/json"&gt;</c> that a small inline script shows for the selected
/// node and step. Equations are MathML, which browsers render without a script library.
/// </summary>
internal static class ReportHtml
{
    /// <summary>The most elements of one tensor put in the report; larger tensors keep their first ones and say so.</summary>
    public const int MaxElements = 4096;

    /// <summary>The most traced steps put in the report (training specs can trace many).</summary>
    public const int MaxSteps = 20;

    public static string Build(ReportInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var g = input.Graph;
        var spec = g.Spec;
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        // Nothing may be fetched: the report is one file that works offline and mailed.
        sb.Append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n");
        sb.Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        sb.Append("<meta name=\"generator\" content=\"netspec report\">\n");
        sb.Append("<title>").Append(Html.Text(spec.Name)).Append(": NetSpec report</title>\n");
        sb.Append("<style>\n").Append(Resource("report.css")).Append("</style>\n</head>\n<body>\n");

        sb.Append("<header>\n<h1>").Append(Html.Text(spec.Name)).Append("</h1>\n");
        if (spec.Description is { } d) sb.Append("<p class=\"description\">").Append(Html.Text(d.Trim())).Append("</p>\n");
        var meta = new List<string>();
        if (spec.Source is { } src) meta.Add("source: " + src.Trim());
        meta.Add(spec.DType.ToString().ToLowerInvariant());
        if (spec.Optimizer is { } opt) meta.Add($"optimizer {opt.Type.Name}");
        if (spec.Training is { } t) meta.Add($"training: {t.Epochs} epochs of batches of {t.BatchSize}");
        meta.Add($"file {Path.GetFileName(spec.Path)}");
        sb.Append("<p class=\"meta\">").Append(Html.Text(string.Join(" · ", meta))).Append("</p>\n");
        sb.Append(Verdict(input.Result));
        sb.Append("</header>\n<main>\n");

        sb.Append("<section id=\"network\">\n<h2>Network</h2>\n");
        sb.Append("<div class=\"toolbar\"><label>Step <select id=\"step\"></select></label>");
        sb.Append("<span class=\"hint\">Click a node to see its values and its arithmetic.</span></div>\n");
        sb.Append("<div class=\"graph-wrap\">").Append(GraphSvg.Render(g)).Append("</div>\n");
        sb.Append("<p class=\"key\"><span class=\"k data\">data</span><span class=\"k parameter\">parameter</span><span class=\"k op\">op</span><span class=\"k objective\">objective (backward starts here)</span></p>\n");
        sb.Append("</section>\n");

        sb.Append("<section id=\"detail\" aria-live=\"polite\">\n<h2 id=\"detail-title\">Select a node</h2>\n<div id=\"detail-body\"></div>\n</section>\n");
        sb.Append("<section id=\"values\">\n<h2>Every value at <span id=\"values-step\">step 1</span></h2>\n<div id=\"values-body\"></div>\n</section>\n");
        sb.Append(Expectations(input.Result));
        if (input.Result.Training is { } report) sb.Append(Training(input.Result, report, spec.Training!.Epochs));
        if (input.Explanation is { } doc)
        {
            sb.Append("<section id=\"conventions\">\n<h2>How the arithmetic is written</h2>\n<p>").Append(Html.Text(ExplainWriter.Conventions(doc.Options))).Append("</p>\n");
            foreach (var n in doc.Notes) sb.Append("<p>").Append(Html.Text(n)).Append("</p>\n");
            sb.Append("</section>\n");
        }
        sb.Append("</main>\n<footer>Written by <code>netspec report</code>; one file with nothing to fetch: it opens offline.</footer>\n");

        sb.Append("<script type=\"application/json\" id=\"report-data\">").Append(ScriptSafe(Json(input))).Append("</script>\n");
        sb.Append("<script>\n").Append(Resource("report.js")).Append("</script>\n</body>\n</html>\n");
        return sb.ToString();
    }

    /// <summary>
    /// JSON inside a script element: no <c>&lt;/</c> may appear (it could close the element) and no
    /// <c>&lt;!--</c>. The encoder already writes <c>&lt;</c> as <c>\u003C</c>; this makes sure.
    /// </summary>
    internal static string ScriptSafe(string json) =>
        json.Replace("</", "<\\/", StringComparison.Ordinal).Replace("<!--", "<\\!--", StringComparison.Ordinal);

    private static string Verdict(RunResult r)
    {
        int failed = r.Expectations.Count(e => !e.Passed), mFailed = r.Metrics.Count(m => !m.Passed);
        var parts = new List<string>();
        if (r.Expectations.Count > 0) parts.Add($"expectations: {r.Expectations.Count - failed} passed, {failed} failed");
        if (r.Metrics.Count > 0) parts.Add($"metrics: {r.Metrics.Count - mFailed} passed, {mFailed} failed");
        if (r.Fault is { } f) parts.Add($"stopped: {f.Op} '{f.Node}' produced a NaN or infinity in {f.What} ({TraceJson.PhaseName(f.Phase)}, step {f.Step})");
        if (parts.Count == 0) parts.Add("no expectations to check");
        return $"<p id=\"verdict\" class=\"verdict {(r.AllPassed ? "pass" : "fail")}\">{Html.Text(string.Join(" · ", parts))}</p>\n";
    }

    private static string Expectations(RunResult r)
    {
        var sb = new StringBuilder("<section id=\"expectations\">\n<h2>Expectations</h2>\n");
        if (r.Expectations.Count == 0)
            return sb.Append("<p>The spec states no expected values.</p>\n</section>\n").ToString();
        sb.Append("<table class=\"expectations\"><thead><tr><th>result</th><th>kind</th><th>value</th><th>step</th><th>expected</th><th>actual</th><th>largest difference</th><th>tolerance</th></tr></thead><tbody>\n");
        foreach (var e in r.Expectations)
        {
            var x = e.Expectation.Spec;
            string kind = x.Kind switch { ExpectKind.Forward => "forward", ExpectKind.Gradient => "gradient", _ => "updated" };
            string name = x.Kind == ExpectKind.Gradient ? $"dJ/d{x.Name.Name}" : x.Kind == ExpectKind.Updated ? $"{x.Name.Name}*" : x.Name.Name;
            var shape = new Shape(x.Value.Dims);
            sb.Append(CultureInfo.InvariantCulture, $"<tr class=\"{(e.Passed ? "pass" : "fail")}\" data-passed=\"{(e.Passed ? "true" : "false")}\" data-name=\"{Html.Attr(x.Name.Name)}\" data-kind=\"{kind}\">");
            sb.Append(CultureInfo.InvariantCulture, $"<td class=\"result\">{(e.Passed ? "pass" : "FAIL")}</td><td>{kind}</td><td><code>{Html.Text(name)}</code></td><td>{x.Step}</td>");
            sb.Append(CultureInfo.InvariantCulture, $"<td><code>{Html.Text(TensorText.Inline(shape, x.Value.Values, 16))}</code></td><td><code>{Html.Text(TensorText.Inline(shape, e.Actual, 16))}</code></td>");
            sb.Append(CultureInfo.InvariantCulture, $"<td>{Html.Text(Format.Number(e.WorstError))}</td><td>{Html.Text(Format.Number(x.Tolerance))} × max(1, |expected|)</td></tr>\n");
        }
        return sb.Append("</tbody></table>\n</section>\n").ToString();
    }

    private static string Training(RunResult r, Runtime.Training.TrainingReport report, int epochs)
    {
        var sb = new StringBuilder("<section id=\"training\">\n<h2>Training</h2>\n");
        var h = report.History;
        sb.Append(CultureInfo.InvariantCulture, $"<p>{h.Count} of {epochs} epochs{(report.StoppedEarly ? " (stopped early)" : "")}{(report.ResumedAfterEpoch > 0 ? $", resumed after epoch {report.ResumedAfterEpoch}" : "")}.</p>\n");
        if (h.Count > 0) sb.Append(CurveSvg.Render(report));
        if (r.Metrics.Count > 0)
        {
            sb.Append("<h3>Metric checks</h3>\n<table class=\"metrics\"><thead><tr><th>result</th><th>metric</th><th>value</th><th>bounds</th></tr></thead><tbody>\n");
            foreach (var m in r.Metrics)
            {
                var e = m.Expectation;
                string bounds = string.Join(", ", new[] { e.Min is { } lo ? $"min {Format.Number(lo)}" : null, e.Max is { } hi ? $"max {Format.Number(hi)}" : null }.Where(x => x is not null));
                sb.Append(CultureInfo.InvariantCulture, $"<tr class=\"{(m.Passed ? "pass" : "fail")}\" data-metric=\"{Html.Attr(e.Metric.Name)}\" data-passed=\"{(m.Passed ? "true" : "false")}\"><td class=\"result\">{(m.Passed ? "pass" : "FAIL")}</td><td><code>{Html.Text(e.Metric.Name)}</code></td><td>{(m.Actual is { } a ? Html.Text(Format.Number(a)) : "not computed")}</td><td>{Html.Text(bounds)}</td></tr>\n");
            }
            sb.Append("</tbody></table>\n");
        }
        sb.Append("<h3>Final metrics</h3>\n<table class=\"final\"><tbody>\n");
        foreach (var name in new[] { "train_loss", "train_accuracy", "validation_loss", "validation_accuracy", "test_loss", "test_accuracy" })
            if (report.Metric(name) is { } v)
                sb.Append(CultureInfo.InvariantCulture, $"<tr data-metric=\"{name}\"><th>{name.Replace('_', ' ')}</th><td data-value=\"{v.ToString("R", CultureInfo.InvariantCulture)}\">{v.ToString("0.0000", CultureInfo.InvariantCulture)}</td></tr>\n");
        sb.Append("</tbody></table>\n");
        if (h.Count > 0)
        {
            sb.Append("<details><summary>Every epoch</summary>\n<table class=\"epochs\"><thead><tr><th>epoch</th><th>train loss</th><th>train accuracy</th><th>validation loss</th><th>validation accuracy</th><th>learning rate</th></tr></thead><tbody>\n");
            static string N(double? v) => v is { } x ? x.ToString("0.0000", CultureInfo.InvariantCulture) : "";
            foreach (var m in h)
                sb.Append(CultureInfo.InvariantCulture, $"<tr><td>{m.Epoch}</td><td>{N(m.TrainLoss)}</td><td>{N(m.TrainAccuracy)}</td><td>{N(m.ValidationLoss)}</td><td>{N(m.ValidationAccuracy)}</td><td>{m.LearningRate.ToString("G6", CultureInfo.InvariantCulture)}</td></tr>\n");
            sb.Append("</tbody></table>\n</details>\n");
        }
        return sb.Append("</section>\n").ToString();
    }

    /// <summary>The data the page's script reads: the values, each step's events and the explanation blocks.</summary>
    internal static string Json(ReportInput input)
    {
        var g = input.Graph;
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = JavaScriptEncoder.Default }))
        {
            w.WriteStartObject();
            w.WriteString("spec", g.Spec.Name);
            w.WriteNumber("digits", input.Digits);
            w.WriteNumber("maxElements", MaxElements);
            w.WriteStartArray("values");
            foreach (var v in g.Values)
            {
                w.WriteStartObject();
                w.WriteString("name", v.Name);
                w.WriteString("kind", GraphSvg.Kind(g, v));
                w.WriteString("op", v.Kind switch { ValueKind.Data => "data", ValueKind.Parameter => "parameter", _ => g.Nodes[v.Producer].Op.Name });
                w.WriteString("shape", v.Shape.ToString());
                if (v.Kind == ValueKind.Node) w.WriteString("expression", g.Nodes[v.Producer].Expression);
                w.WriteEndObject();
            }
            w.WriteEndArray();

            var steps = input.Events.Where(e => e.Phase != TracePhase.Epoch).Select(e => e.Step).Distinct().Order().ToList();
            int shown = Math.Min(steps.Count, MaxSteps);
            int traced = Math.Max(input.TracedSteps ?? 0, steps.Count);
            if (traced > shown) w.WriteString("stepsNote", $"The run traced {traced} steps; the report keeps the first {shown}.");
            w.WriteStartArray("steps");
            foreach (int step in steps.Take(shown))
            {
                w.WriteStartObject();
                w.WriteNumber("step", step);
                foreach (var (phase, key) in new[] { (TracePhase.Forward, "forward"), (TracePhase.Backward, "backward"), (TracePhase.Update, "update") })
                {
                    w.WriteStartObject(key);
                    var seen = new HashSet<string>(StringComparer.Ordinal);
                    foreach (var e in input.Events)
                    {
                        // A pass traced twice in one step (train and eval modes) keeps its first.
                        if (e.Phase != phase || e.Step != step || !seen.Add(e.Name)) continue;
                        w.WriteStartObject(e.Name);
                        w.WriteString("expression", e.Expression);
                        w.WriteStartArray("dims");
                        foreach (int dim in e.Shape.Dims) w.WriteNumberValue(dim);
                        w.WriteEndArray();
                        if (e.Mode is { } mode) w.WriteString("mode", mode);
                        w.WriteNumber("total", e.Values.Length);
                        Values(w, phase == TracePhase.Update ? "new" : "values", e.Values);
                        if (e.Old is { } old) Values(w, "old", old);
                        if (e.Gradient is { } grad) Values(w, "gradient", grad);
                        w.WriteEndObject();
                    }
                    w.WriteEndObject();
                }
                w.WriteEndObject();
            }
            w.WriteEndArray();

            if (input.Explanation is { } doc)
            {
                var math = new MathMLRenderer(doc.Options.Digits);
                var text = new TextMathRenderer(doc.Options.Digits);
                w.WriteStartObject("explanation");
                w.WriteStartArray("steps");
                foreach (var step in doc.Steps)
                {
                    w.WriteStartObject();
                    w.WriteNumber("step", step.Step);
                    w.WriteStartArray("blocks");
                    foreach (var b in step.Blocks)
                    {
                        w.WriteStartObject();
                        w.WriteString("phase", ExplainWriter.PhaseTitle(b.Phase));
                        w.WriteString("name", b.Name);
                        w.WriteString("op", b.Op);
                        w.WriteString("title", b.Title);
                        w.WriteStartArray("items");
                        foreach (var item in b.Items)
                        {
                            w.WriteStartObject();
                            switch (item)
                            {
                                case ExplainEquation eq:
                                    w.WriteString("t", eq.IsFormula ? "formula" : "eq");
                                    w.WriteString("math", math.Element(eq.Equation, block: true));
                                    w.WriteString("text", text.Render(eq.Equation));
                                    break;
                                case ExplainNote note:
                                    w.WriteString("t", "note");
                                    w.WriteString("text", note.Text);
                                    break;
                                case ExplainSample s:
                                    w.WriteString("t", "sample");
                                    w.WriteString("text", $"sample {s.Sample} of {s.Of}");
                                    break;
                            }
                            w.WriteEndObject();
                        }
                        w.WriteEndArray();
                        w.WriteEndObject();
                    }
                    w.WriteEndArray();
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            else
                w.WriteString("explanationAbsent", input.ExplanationAbsent ?? "This report was written without explanations.");
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>Up to <see cref="MaxElements"/> values; NaN and infinities as the strings "NaN", "Infinity", "-Infinity".</summary>
    private static void Values(Utf8JsonWriter w, string key, TraceValues values)
    {
        w.WriteStartArray(key);
        int n = Math.Min(values.Length, MaxElements);
        for (int i = 0; i < n; i++)
        {
            double v = values[i];
            if (double.IsFinite(v)) w.WriteNumberValue(v);
            else w.WriteStringValue(double.IsNaN(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity");
        }
        w.WriteEndArray();
    }

    private static string Resource(string name)
    {
        using var s = Assembly.GetExecutingAssembly().GetManifestResourceStream("NetSpec.Cli.Report." + name)
            ?? throw new InvalidOperationException($"the report's {name} is not embedded in netspec");
        using var r = new StreamReader(s);
        return r.ReadToEnd();
    }
}
