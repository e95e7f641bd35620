using System.Net;
using System.Text;
using NetSpec.Runtime.Explain;
using NetSpec.Runtime.Graph;
using NetSpec.Runtime.Trace;

namespace NetSpec.Cli.Worksheets;

/// <summary>The notations a worksheet is written in.</summary>
public enum WorksheetFormat
{
    /// <summary>Markdown with LaTeX math in $$ blocks (GitHub, VS Code, Jupyter).</summary>
    Markdown,

    /// <summary>A standalone LaTeX document (amsmath) that pdflatex compiles.</summary>
    Latex,

    /// <summary>One self-contained HTML page (no scripts, no network): equations as text.</summary>
    Html,
}

/// <summary>
/// Writes a worksheet from an <see cref="ExplainedRun"/>: the givens (the network, the data,
/// parameters and hyperparameters, the objective and the optimizer), then every step's
/// explanation with the chosen lines blank (<see cref="Blanks"/>): each keeps its left side and
/// gets an empty box (a matrix of boxes for a matrix) in place of its working and result. The
/// answer key is the same document with nothing blank: the full explanation.
/// </summary>
internal static class WorksheetWriter
{
    /// <summary>The file extension of a format, with its dot.</summary>
    public static string Extension(WorksheetFormat f) => f switch { WorksheetFormat.Latex => ".tex", WorksheetFormat.Html => ".html", _ => ".md" };

    public static string Write(ExplainedRun run, Blanks blanks, WorksheetFormat format, string? variantNote)
    {
        ArgumentNullException.ThrowIfNull(run);
        var w = format switch
        {
            WorksheetFormat.Latex => (Sink)new LatexSink(run.Document.Options.Digits),
            WorksheetFormat.Html => new HtmlSink(run.Document.Options.Digits),
            _ => new MarkdownSink(run.Document.Options.Digits),
        };
        bool key = blanks.IsEmpty;
        var doc = run.Document;
        w.Begin($"{doc.Spec}: {(key ? "answer key" : "worksheet")}");
        if (doc.Description is { } d) w.Paragraph(d.Trim());
        if (variantNote is not null) w.Paragraph(variantNote);
        w.Paragraph(key
            ? "The full worked solution: every value with its working, as the worksheet asks for it."
            : "Work out each boxed value by hand from the givens and write your working beside it. The formulas are given.");
        w.Paragraph(ExplainWriter.Conventions(doc.Options));
        foreach (var n in doc.Notes) w.Paragraph(n);
        Givens(run, w);
        foreach (var step in doc.Steps)
        {
            w.Heading(1, $"Step {step.Step}");
            foreach (var (phase, blocks) in ExplainWriter.Phases(step))
            {
                w.Heading(2, ExplainWriter.PhaseTitle(phase));
                foreach (var b in blocks)
                {
                    w.Heading(3, b.Title, code: true);
                    foreach (var item in b.Items)
                        switch (item)
                        {
                            case ExplainEquation eq when blanks.IsBlank(b, eq): w.Blank(eq.Equation); break;
                            case ExplainEquation eq: w.Equation(eq.Equation); break;
                            case ExplainNote note: w.Paragraph(note.Text, emphasis: true); break;
                            case ExplainSample s: w.Paragraph($"Sample {s.Sample} of {s.Of}", strong: true); break;
                        }
                }
            }
        }
        return w.End();
    }

    /// <summary>What the exercise starts from: the network, the objective and optimizer, every hyperparameter, datum and parameter.</summary>
    private static void Givens(ExplainedRun run, Sink w)
    {
        var g = run.Graph;
        var spec = g.Spec;
        w.Heading(1, "Given");
        w.Paragraph("The network (each node's op and inputs):");
        w.Code([.. g.Nodes.Select(n => $"{n.Name} = {n.Expression}" + (n.Op.Formula.Length > 0 ? $"      # {n.Op.Formula}" : ""))]);
        var sentences = new List<string>();
        if (spec.Backward is { } bw) sentences.Add($"Backward propagation starts at {bw.From.Name}{(g.SeedGradient is null ? $" (dJ/d{bw.From.Name} = 1)" : " with the gradient the spec gives")}.");
        if (spec.Optimizer is { } o)
        {
            int steps = g.Steps;
            string rate = o.LearningRate.Hyperparameter is { } h ? $"{h} = {Num(o.LearningRate.Value)}" : Num(o.LearningRate.Value);
            sentences.Add($"Then {(steps == 1 ? "one step" : $"{steps} steps")} of {o.Type.Name} with learning rate {rate}.");
        }
        if (sentences.Count > 0) w.Paragraph(string.Join(" ", sentences));
        if (spec.Hyperparameters.Count > 0)
        {
            w.Paragraph("Hyperparameters:");
            foreach (var h in spec.Hyperparameters) w.Equation(M.Eq(new MathSymbol(h.Name), new MathNumber(h.Value)));
        }
        int first = run.Steps.Count > 0 ? run.Steps[0] : 1;
        foreach (var kind in new[] { ValueKind.Data, ValueKind.Parameter })
        {
            var values = g.Values.Where(v => v.Kind == kind).ToList();
            if (values.Count == 0) continue;
            w.Paragraph(kind == ValueKind.Data ? "Data:" : "Parameters (their values before the first update):");
            foreach (var v in values)
            {
                if (run.Find(first, ExplainKind.Forward, v.Name) is not { } e) continue;
                if (Tensor(e) is { } m) w.Equation(M.Eq(new MathSymbol(v.Name), m));
                else w.Paragraph($"{v.Name}: a {e.Shape.ToString()} tensor (too large to write out; see the spec).");
            }
        }
    }

    private static string Num(double v) => NumberText.Of(v, 17).Mantissa;

    /// <summary>A traced value written out as the notes write it: a vector as a column, one sample's row of a batch of one likewise.</summary>
    private static MathExpr? Tensor(TraceEvent e)
    {
        var values = e.Values.ToArray();
        bool single = e.Values.IsSingle;
        var dims = e.Shape.ToArray();
        if (dims.Length == 2 && dims[0] == 1) dims = [dims[1]];
        if (values.Length > 64 || dims.Length > 2) return null;
        if (dims.Length == 0) return new MathNumber(values[0], single);
        if (dims.Length == 1)
            return new MathMatrix([.. values.Select(x => (IReadOnlyList<MathExpr>)[new MathNumber(x, single)])]) { ShowSize = true };
        int cols = dims[1];
        return new MathMatrix([.. Enumerable.Range(0, dims[0]).Select(r => (IReadOnlyList<MathExpr>)[.. Enumerable.Range(0, cols).Select(c => new MathNumber(values[r * cols + c], single))])]) { ShowSize = true };
    }

    /// <summary>The shape of the blank: a box, or a matrix of boxes when the line's result is a matrix.</summary>
    private static (int Rows, int Cols)? MatrixShape(MathEquation eq) =>
        eq.Sides[^1] is MathMatrix m ? (m.RowCount, m.ColumnCount) : null;

    private abstract class Sink(int digits)
    {
        protected readonly StringBuilder Sb = new();
        protected int Digits { get; } = digits;

        public abstract void Begin(string title);
        public abstract void Heading(int level, string text, bool code = false);
        public abstract void Paragraph(string text, bool emphasis = false, bool strong = false);
        public abstract void Code(IReadOnlyList<string> lines);
        public abstract void Equation(MathEquation eq);
        public abstract void Blank(MathEquation eq);
        public abstract string End();
    }

    /// <summary>LaTeX math for Markdown and LaTeX: the explanation's own renderer, an empty box per blank.</summary>
    private abstract class TexSink(int digits) : Sink(digits)
    {
        protected readonly LatexMathRenderer R = new(digits);
        protected const string Box = "\\boxed{\\phantom{00000}}";

        protected string BlankMath(MathEquation eq)
        {
            string left = R.Render(eq.Sides[0]);
            string right = MatrixShape(eq) is { } s
                ? "\\begin{bmatrix} " + string.Join(" \\\\ ", Enumerable.Repeat(string.Join(" & ", Enumerable.Repeat(Box, s.Cols)), s.Rows)) + " \\end{bmatrix}"
                : Box;
            return left + " = " + right;
        }
    }

    private sealed class MarkdownSink(int digits) : TexSink(digits)
    {
        public override void Begin(string title) => Sb.Append("# ").AppendLine(title).AppendLine();

        public override void Heading(int level, string text, bool code = false) =>
            Sb.Append(new string('#', level + 1)).Append(' ').AppendLine(code ? $"`{text}`" : text).AppendLine();

        public override void Paragraph(string text, bool emphasis = false, bool strong = false)
        {
            string t = text.Replace("*", "\\*", StringComparison.Ordinal);
            Sb.AppendLine(emphasis ? $"*{t}*" : strong ? $"**{t}**" : t).AppendLine();
        }

        public override void Code(IReadOnlyList<string> lines)
        {
            Sb.AppendLine("```text");
            foreach (var l in lines) Sb.AppendLine(l);
            Sb.AppendLine("```").AppendLine();
        }

        public override void Equation(MathEquation eq) => Sb.Append("$$").Append(R.Render(eq)).AppendLine("$$").AppendLine();

        public override void Blank(MathEquation eq) => Sb.Append("$$").Append(BlankMath(eq)).AppendLine("$$").AppendLine();

        public override string End() => Sb.ToString();
    }

    private sealed class LatexSink(int digits) : TexSink(digits)
    {
        private static string E(string s) => LatexMathRenderer.Escape(s).Replace("≈", "$\\approx$", StringComparison.Ordinal).Replace("̂", "", StringComparison.Ordinal);

        public override void Begin(string title)
        {
            Sb.AppendLine("\\documentclass[10pt]{article}");
            Sb.AppendLine("\\usepackage[utf8]{inputenc}");
            Sb.AppendLine("\\usepackage[T1]{fontenc}");
            Sb.AppendLine("\\usepackage[margin=2cm]{geometry}");
            Sb.AppendLine("\\usepackage{amsmath}");
            Sb.AppendLine("\\allowdisplaybreaks");
            Sb.AppendLine("\\setcounter{MaxMatrixCols}{32}");
            Sb.Append("\\title{").Append(E(title)).AppendLine("}");
            Sb.AppendLine("\\date{}");
            Sb.AppendLine("\\begin{document}");
            Sb.AppendLine("\\maketitle");
        }

        public override void Heading(int level, string text, bool code = false)
        {
            string cmd = level switch { 1 => "\\section*", 2 => "\\subsection*", _ => "\\paragraph" };
            Sb.Append(cmd).Append('{').Append(code ? $"\\texttt{{{E(text)}}}" : E(text)).AppendLine("}");
        }

        public override void Paragraph(string text, bool emphasis = false, bool strong = false) =>
            Sb.AppendLine(emphasis ? $"\\emph{{{E(text)}}}" : strong ? $"\\textbf{{{E(text)}}}" : E(text)).AppendLine();

        public override void Code(IReadOnlyList<string> lines)
        {
            Sb.AppendLine("\\begin{flushleft}");
            foreach (var l in lines) Sb.Append("\\texttt{").Append(E(l).Replace("  ", "~~", StringComparison.Ordinal)).AppendLine("}\\\\");
            Sb.AppendLine("\\end{flushleft}");
        }

        public override void Equation(MathEquation eq) => Sb.Append("\\[ ").Append(R.Render(eq)).AppendLine(" \\]");

        public override void Blank(MathEquation eq) => Sb.Append("\\[ ").Append(BlankMath(eq)).AppendLine(" \\]");

        public override string End() => Sb.AppendLine("\\end{document}").ToString();
    }

    /// <summary>A page with inline CSS only; equations in the console notation (z_1 = (1)(10) + (2)(5) + 4 = 24).</summary>
    private sealed class HtmlSink(int digits) : Sink(digits)
    {
        private readonly TextMathRenderer _r = new(digits);
        private const string Box = "<span class=\"blank\"></span>";

        private static string H(string s) => WebUtility.HtmlEncode(s);

        public override void Begin(string title)
        {
            Sb.AppendLine("<!DOCTYPE html>");
            Sb.AppendLine("<html lang=\"en\"><head><meta charset=\"utf-8\">");
            Sb.Append("<title>").Append(H(title)).AppendLine("</title>");
            Sb.AppendLine("<style>body{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 1em;line-height:1.4}"
                + ".eq{font-family:monospace;font-size:1.05em;margin:.4em 0 .4em 1.5em;white-space:pre-wrap}"
                + ".blank{display:inline-block;min-width:4.5em;height:1.3em;border:1px solid #333;vertical-align:middle;margin:0 .15em}"
                + "pre{background:#f4f4f4;padding:.6em}h4{font-family:monospace;font-weight:normal;margin-bottom:.2em}"
                + "@media print{.blank{border-color:#000}}</style>");
            Sb.AppendLine("</head><body>");
            Sb.Append("<h1>").Append(H(title)).AppendLine("</h1>");
        }

        public override void Heading(int level, string text, bool code = false) =>
            Sb.Append("<h").Append(level + 1).Append('>').Append(H(text)).Append("</h").Append(level + 1).AppendLine(">");

        public override void Paragraph(string text, bool emphasis = false, bool strong = false) =>
            Sb.Append("<p>").Append(emphasis ? $"<em>{H(text)}</em>" : strong ? $"<strong>{H(text)}</strong>" : H(text)).AppendLine("</p>");

        public override void Code(IReadOnlyList<string> lines) => Sb.Append("<pre>").Append(H(string.Join("\n", lines))).AppendLine("</pre>");

        public override void Equation(MathEquation eq) => Sb.Append("<div class=\"eq\">").Append(H(_r.Render(eq))).AppendLine("</div>");

        public override void Blank(MathEquation eq)
        {
            string right = MatrixShape(eq) is { } s
                ? "[" + string.Join("; ", Enumerable.Repeat(string.Join(", ", Enumerable.Repeat(Box, s.Cols)), s.Rows)) + "]"
                : Box;
            Sb.Append("<div class=\"eq\">").Append(H(_r.Render(eq.Sides[0]))).Append(" = ").Append(right).AppendLine("</div>");
        }

        public override string End() => Sb.AppendLine("</body></html>").ToString();
    }
}
