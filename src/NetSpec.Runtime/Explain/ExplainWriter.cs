using System.Text;

namespace NetSpec.Runtime.Explain;

/// <summary>The notations an explanation is written in.</summary>
public enum ExplainFormat
{
    /// <summary>Console text: z_1 = (1)(10) + (2)(5) + 4 = 24.</summary>
    Text,

    /// <summary>Markdown with LaTeX math in $$ blocks (GitHub, VS Code, Jupyter), matrices as bmatrix.</summary>
    Markdown,

    /// <summary>A standalone LaTeX document (amsmath) that pdflatex compiles.</summary>
    Latex,

    /// <summary>The HTML report (equations as MathML), written by the command line's report builder, not by <see cref="ExplainWriter"/>.</summary>
    Html,
}

/// <summary>Writes an <see cref="ExplainDocument"/> as text, Markdown or LaTeX (the HTML report renders the same document as MathML).</summary>
public static class ExplainWriter
{
    /// <summary>The conventions every explanation states first.</summary>
    public static string Conventions(ExplainOptions o) =>
        $"Whole numbers are exact; other numbers show {o.Digits} significant digits, and ≈ marks a number shown rounded " +
        "(every computation uses the full values, never the rounded ones). Subscripts count from 1, as in the notes: " +
        "z_1 is the first entry of z, W_12 the entry in row 1, column 2.";

    public static string Write(ExplainDocument doc, ExplainFormat format)
    {
        ArgumentNullException.ThrowIfNull(doc);
        var sb = new StringBuilder();
        switch (format)
        {
            case ExplainFormat.Text: WriteText(doc, sb); break;
            case ExplainFormat.Markdown: WriteMarkdown(doc, sb); break;
            case ExplainFormat.Latex: WriteLatex(doc, sb); break;
            default: throw new ArgumentOutOfRangeException(nameof(format));
        }
        return sb.ToString();
    }

    /// <summary>The phase headings, in the notes' words.</summary>
    public static string PhaseTitle(ExplainPhase p) => p switch
    {
        ExplainPhase.Forward => "Forward propagation",
        ExplainPhase.Backward => "Backward propagation",
        _ => "Update",
    };

    /// <summary>Each step's blocks grouped by phase, in order.</summary>
    public static IEnumerable<(ExplainPhase Phase, IReadOnlyList<ExplainBlock> Blocks)> Phases(ExplainStep step)
    {
        ArgumentNullException.ThrowIfNull(step);
        foreach (var phase in new[] { ExplainPhase.Forward, ExplainPhase.Backward, ExplainPhase.Update })
        {
            var blocks = step.Blocks.Where(b => b.Phase == phase).ToList();
            if (blocks.Count > 0) yield return (phase, blocks);
        }
    }

    private static void WriteText(ExplainDocument doc, StringBuilder sb)
    {
        var r = new TextMathRenderer(doc.Options.Digits);
        sb.Append(doc.Spec).AppendLine(": the arithmetic, step by step");
        sb.AppendLine(Conventions(doc.Options));
        foreach (var n in doc.Notes) sb.AppendLine(n);
        foreach (var step in doc.Steps)
        {
            sb.AppendLine().Append("step ").Append(step.Step).AppendLine();
            foreach (var (phase, blocks) in Phases(step))
            {
                sb.Append("  ").AppendLine(PhaseTitle(phase));
                foreach (var b in blocks)
                {
                    sb.Append("    ").AppendLine(b.Title);
                    foreach (var item in b.Items)
                        switch (item)
                        {
                            case ExplainEquation eq: sb.Append("      ").AppendLine(r.Render(eq.Equation)); break;
                            case ExplainNote note: sb.Append("      (").Append(note.Text).AppendLine(")"); break;
                            case ExplainSample s: sb.Append("      sample ").Append(s.Sample).Append(" of ").Append(s.Of).AppendLine(":"); break;
                        }
                }
            }
        }
    }

    private static void WriteMarkdown(ExplainDocument doc, StringBuilder sb)
    {
        var r = new LatexMathRenderer(doc.Options.Digits);
        sb.Append("# ").Append(doc.Spec).AppendLine(": the arithmetic, step by step").AppendLine();
        if (doc.Description is { } d) sb.AppendLine(d.Trim()).AppendLine();
        sb.AppendLine(Conventions(doc.Options)).AppendLine();
        foreach (var n in doc.Notes) sb.AppendLine(n).AppendLine();
        foreach (var step in doc.Steps)
        {
            sb.Append("## Step ").Append(step.Step).AppendLine().AppendLine();
            foreach (var (phase, blocks) in Phases(step))
            {
                sb.Append("### ").AppendLine(PhaseTitle(phase)).AppendLine();
                foreach (var b in blocks)
                {
                    sb.Append("#### `").Append(b.Title).AppendLine("`").AppendLine();
                    foreach (var item in b.Items)
                        switch (item)
                        {
                            case ExplainEquation eq: sb.Append("$$").Append(r.Render(eq.Equation)).AppendLine("$$").AppendLine(); break;
                            case ExplainNote note: sb.Append('*').Append(note.Text.Replace("*", "\\*", StringComparison.Ordinal)).AppendLine("*").AppendLine(); break;
                            case ExplainSample s: sb.Append("**Sample ").Append(s.Sample).Append(" of ").Append(s.Of).AppendLine("**").AppendLine(); break;
                        }
                }
            }
        }
    }

    private static void WriteLatex(ExplainDocument doc, StringBuilder sb)
    {
        var r = new LatexMathRenderer(doc.Options.Digits);
        string E(string s) => LatexMathRenderer.Escape(s).Replace("≈", "$\\approx$", StringComparison.Ordinal).Replace("̂", "", StringComparison.Ordinal);
        sb.AppendLine("\\documentclass[10pt]{article}");
        sb.AppendLine("\\usepackage[utf8]{inputenc}");
        sb.AppendLine("\\usepackage[T1]{fontenc}");
        sb.AppendLine("\\usepackage[margin=2cm]{geometry}");
        sb.AppendLine("\\usepackage{amsmath}");
        sb.AppendLine("\\allowdisplaybreaks");
        sb.AppendLine("\\setcounter{MaxMatrixCols}{32}");
        sb.Append("\\title{").Append(E(doc.Spec)).AppendLine(": the arithmetic, step by step}");
        sb.AppendLine("\\date{}");
        sb.AppendLine("\\begin{document}");
        sb.AppendLine("\\maketitle");
        if (doc.Description is { } d) sb.AppendLine(E(d.Trim())).AppendLine();
        sb.AppendLine(E(Conventions(doc.Options))).AppendLine();
        foreach (var n in doc.Notes) sb.AppendLine(E(n)).AppendLine();
        foreach (var step in doc.Steps)
        {
            sb.Append("\\section*{Step ").Append(step.Step).AppendLine("}");
            foreach (var (phase, blocks) in Phases(step))
            {
                sb.Append("\\subsection*{").Append(PhaseTitle(phase)).AppendLine("}");
                foreach (var b in blocks)
                {
                    sb.Append("\\paragraph{\\texttt{").Append(E(b.Title)).AppendLine("}}");
                    foreach (var item in b.Items)
                        switch (item)
                        {
                            case ExplainEquation eq: sb.Append("\\[ ").Append(r.Render(eq.Equation)).AppendLine(" \\]"); break;
                            case ExplainNote note: sb.Append("\\emph{").Append(E(note.Text)).AppendLine("}").AppendLine(); break;
                            case ExplainSample s: sb.Append("\\textbf{Sample ").Append(s.Sample).Append(" of ").Append(s.Of).AppendLine("}").AppendLine(); break;
                        }
                }
            }
        }
        sb.AppendLine("\\end{document}");
    }
}
