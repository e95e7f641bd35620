using System.Text;
using NetSpec.Parser.Model;

namespace NetSpec.Parser;

/// <summary>Comments <see cref="SpecFormatter"/> writes beside a spec's values: where each came from.</summary>
public sealed record SpecComments
{
    /// <summary>Lines at the top of the file.</summary>
    public IReadOnlyList<string> Header { get; init; } = [];

    /// <summary>A comment per data, parameter or node name.</summary>
    public IReadOnlyDictionary<string, string> Values { get; init; } = new Dictionary<string, string>();

    /// <summary>A comment per expectation, by the name of the value it checks.</summary>
    public IReadOnlyDictionary<string, string> Expectations { get; init; } = new Dictionary<string, string>();

    /// <summary>Lines above the <c>expect:</c> section (how its tolerances were chosen).</summary>
    public IReadOnlyList<string> Expect { get; init; } = [];
}

/// <summary>
/// Writes a spec model (<see cref="SpecDocument"/>) as spec YAML that <see cref="SpecParser"/>
/// reads back into the same model: nodes in flow style (<c>{op: relu, x: z}</c>), tensors as
/// nested lists of any rank with one innermost row per line, and a comment per value when
/// <see cref="SpecComments"/> gives one. It writes the sections of a spec without a dataset:
/// hyperparameters, network, data, parameters, backward, optimizer (type, learning rate, steps)
/// and expectations; a spec with a dataset, training, a parameters file, metric checks or
/// optimizer settings beyond plain gradient descent is refused with <see cref="NotSupportedException"/>.
/// </summary>
public static class SpecFormatter
{
    private const double DefaultTolerance = 1e-9;

    /// <summary>The spec's YAML text.</summary>
    public static string Format(SpecDocument spec, SpecComments? comments = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        comments ??= new SpecComments();
        if (spec.Dataset is not null || spec.Training is not null || spec.ParametersFile is not null || spec.MetricExpectations.Count > 0)
            throw new NotSupportedException("SpecFormatter writes specs without a dataset, training, parameters file or metric checks");
        if (spec.Trace is not null || spec.DefaultAllClose is not null || spec.Parameters.Any(p => !p.Trainable) || spec.Data.Any(d => d.File is not null)
            || spec.Expectations.Any(e => e.AllClose is not null || e.Epoch > 0) || spec.Expectations.GroupBy(e => (e.Kind, e.Name.Name)).Any(g => g.Count() > 1))
            throw new NotSupportedException("SpecFormatter writes no trace selection, frozen parameters, data files, rtol/atol rules, epochs or several checks of one value");
        var sb = new StringBuilder();
        foreach (var line in comments.Header) Comment(sb, "", line);
        sb.Append("netspec: ").Append(spec.Version).Append('\n');
        sb.Append("name: ").Append(Quote(spec.Name)).Append('\n');
        if (spec.Description is { } d) sb.Append("description: ").Append(Quote(d)).Append('\n');
        if (spec.Source is { } s) sb.Append("source: ").Append(Quote(s)).Append('\n');
        sb.Append("dtype: ").Append(spec.DType == DType.Float32 ? "float32" : "float64").Append('\n');
        if (spec.Hyperparameters.Count > 0)
        {
            sb.Append("hyperparameters:\n");
            foreach (var h in spec.Hyperparameters) sb.Append("  ").Append(h.Name).Append(": ").Append(Number(h.Value)).Append('\n');
        }
        sb.Append("network:\n");
        foreach (var n in spec.Network)
            Entry(sb, "  ", n.Name, Node(n), comments.Values.GetValueOrDefault(n.Name));
        if (spec.Data.Count > 0)
        {
            sb.Append("data:\n");
            foreach (var x in spec.Data) Tensor(sb, "  ", x.Name, x.Value, comments.Values.GetValueOrDefault(x.Name));
        }
        if (spec.Parameters.Count > 0)
        {
            sb.Append("parameters:\n");
            foreach (var p in spec.Parameters)
            {
                if (p.Value is { } lit) Tensor(sb, "  ", p.Name, lit, comments.Values.GetValueOrDefault(p.Name));
                else if (p.Init is { } init) Entry(sb, "  ", p.Name, Initializer(init), comments.Values.GetValueOrDefault(p.Name));
            }
        }
        if (spec.Backward is { } bw)
        {
            sb.Append("backward:\n  from: ").Append(bw.From.Name).Append('\n');
            if (bw.Grad is { } g) Tensor(sb, "  ", "grad", g, null);
        }
        if (spec.Optimizer is { } o) Optimizer(sb, o);
        if (spec.Expectations.Count > 0)
        {
            foreach (var line in comments.Expect) Comment(sb, "", line);
            sb.Append("expect:\n");
            if (spec.DefaultTolerance != DefaultTolerance) sb.Append("  tolerance: ").Append(Number(spec.DefaultTolerance)).Append('\n');
            foreach (var (kind, key) in new[] { (ExpectKind.Forward, "forward"), (ExpectKind.Gradient, "gradients"), (ExpectKind.Updated, "updated") })
            {
                var checks = spec.Expectations.Where(e => e.Kind == kind).ToList();
                if (checks.Count == 0) continue;
                sb.Append("  ").Append(key).Append(":\n");
                foreach (var e in checks) Expectation(sb, e, spec.DefaultTolerance, comments.Expectations.GetValueOrDefault(e.Name.Name));
            }
        }
        return sb.ToString();
    }

    private static string Node(NodeDecl n)
    {
        var sb = new StringBuilder("{op: ").Append(n.Op.Name);
        foreach (var a in n.Args) sb.Append(", ").Append(a.Key).Append(": ").Append(Arg(a.Value));
        return sb.Append('}').ToString();
    }

    private static string Arg(ArgValue v) => v switch
    {
        ArgScalar s => s.Text,
        ArgList l => "[" + string.Join(", ", l.Items.Select(i => i.Text)) + "]",
        _ => throw new ArgumentException($"unknown argument kind {v.GetType().Name}", nameof(v)),
    };

    private static string Initializer(InitializerDecl init)
    {
        var sb = new StringBuilder("{init: ").Append(init.Kind.Name)
            .Append(", shape: [").Append(string.Join(", ", init.Shape)).Append(']')
            .Append(", seed: ").Append(init.Seed);
        foreach (var (key, value) in init.Options) sb.Append(", ").Append(key).Append(": ").Append(NumberOrName(value));
        return sb.Append('}').ToString();
    }

    private static void Optimizer(StringBuilder sb, OptimizerDecl o)
    {
        if (o.Settings != new OptimizerDecl(o.Type, o.LearningRate, o.Steps, o.Span).Settings)
            throw new NotSupportedException("SpecFormatter writes an optimizer's type, learning rate and steps only");
        sb.Append("optimizer:\n  type: ").Append(o.Type.Name).Append('\n');
        sb.Append("  learning_rate: ").Append(NumberOrName(o.LearningRate)).Append('\n');
        if (o.StepsWritten) sb.Append("  steps: ").Append(NumberOrName(o.Steps)).Append('\n');
    }

    private static void Expectation(StringBuilder sb, Expectation e, double defaultTolerance, string? comment)
    {
        int defaultStep = e.Kind == ExpectKind.Updated ? 0 : 1; // updated values: after the last step
        bool plain = e.Tolerance == defaultTolerance && e.Step == defaultStep;
        if (plain)
        {
            Tensor(sb, "    ", e.Name.Name, e.Value, comment);
            return;
        }
        string extra = (e.Tolerance != defaultTolerance ? $", tolerance: {Number(e.Tolerance)}" : "") + (e.Step != defaultStep ? $", step: {e.Step}" : "");
        string value = Literal(e.Value, 0);
        if (!value.Contains('\n'))
        {
            Entry(sb, "    ", e.Name.Name, $"{{value: {value}{extra}}}", comment);
            return;
        }
        if (comment is not null) Comment(sb, "    ", comment);
        sb.Append("    ").Append(e.Name.Name).Append(":\n");
        sb.Append("      value: ").Append(Literal(e.Value, "      value: ".Length)).Append('\n');
        if (e.Tolerance != defaultTolerance) sb.Append("      tolerance: ").Append(Number(e.Tolerance)).Append('\n');
        if (e.Step != defaultStep) sb.Append("      step: ").Append(e.Step).Append('\n');
    }

    /// <summary><c>name: literal</c>, a multi-line literal aligned under its first bracket.</summary>
    private static void Tensor(StringBuilder sb, string indent, string name, TensorLiteral lit, string? comment)
    {
        string text = Literal(lit, indent.Length + name.Length + 2);
        if (text.Contains('\n') && comment is not null)
        {
            Comment(sb, indent, comment);
            comment = null;
        }
        Entry(sb, indent, name, text, comment);
    }

    private static void Entry(StringBuilder sb, string indent, string name, string value, string? comment)
    {
        sb.Append(indent).Append(name).Append(": ").Append(value);
        if (comment is not null) sb.Append("   # ").Append(OneLine(comment));
        sb.Append('\n');
    }

    private static void Comment(StringBuilder sb, string indent, string text) =>
        sb.Append(indent).Append(text.Length == 0 ? "#" : "# " + OneLine(text)).Append('\n');

    private static string OneLine(string s) => s.Replace('\n', ' ').Replace('\r', ' ');

    /// <summary>
    /// A tensor literal: a number, a list, or nested lists (one per axis) with each innermost
    /// list on its own line; <paramref name="column"/> is where its first bracket stands.
    /// </summary>
    public static string Literal(TensorLiteral lit, int column)
    {
        ArgumentNullException.ThrowIfNull(lit);
        if (lit.Rank == 0) return Number(lit.Values[0]);
        var sb = new StringBuilder();
        Nested(sb, lit.Dims, lit.Values, 0, 0, column);
        return sb.ToString();
    }

    private static void Nested(StringBuilder sb, int[] dims, double[] values, int offset, int axis, int column)
    {
        sb.Append('[');
        if (axis == dims.Length - 1)
        {
            for (int i = 0; i < dims[axis]; i++)
            {
                if (i > 0) sb.Append(", ");
                sb.Append(Number(values[offset + i]));
            }
        }
        else
        {
            int stride = 1;
            for (int a = axis + 1; a < dims.Length; a++) stride *= dims[a];
            for (int i = 0; i < dims[axis]; i++)
            {
                if (i > 0) sb.Append(",\n").Append(' ', column + axis + 1);
                Nested(sb, dims, values, offset + i * stride, axis + 1, column);
            }
        }
        sb.Append(']');
    }

    /// <summary>A number as the parser reads it back exactly: shortest round-trip, <c>.inf</c>, <c>.nan</c>.</summary>
    public static string Number(double x) =>
        double.IsNaN(x) ? ".nan"
        : double.IsPositiveInfinity(x) ? ".inf"
        : double.IsNegativeInfinity(x) ? "-.inf"
        : Model.Format.Number(x);

    private static string NumberOrName(NumberValue v) => v.Hyperparameter ?? Number(v.Value);

    /// <summary>A single-quoted YAML scalar.</summary>
    public static string Quote(string s) => "'" + OneLine(s).Replace("'", "''", StringComparison.Ordinal) + "'";
}
