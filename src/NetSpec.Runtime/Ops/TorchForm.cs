using System.Globalization;
using System.Text;

namespace NetSpec.Runtime.Ops;

/// <summary>
/// An op's forward written as PyTorch code for one node (<see cref="Op.ToTorch"/>): the Python
/// expression of the node's value, after the statements the op wrote into its
/// <see cref="TorchNode"/>; or a refusal, with the reason, for an op that has no faithful torch
/// form (the export then fails naming the op and the node: NetSpec never approximates).
/// The expression is written as <c>v["node"] = EXPRESSION</c> in <c>Net.forward</c>; autograd
/// of the code must give NetSpec's backward, kinks included (the op's docs say where it could not).
/// </summary>
public sealed record TorchForm
{
    private TorchForm(string? expression, string? refusal)
    {
        Expression = expression;
        Refusal = refusal;
    }

    /// <summary>The node's value as a Python expression, e.g. <c>F.linear(v["x"], v["W"], v["b"])</c>; null for a refusal.</summary>
    public string? Expression { get; }

    /// <summary>Why the op has no faithful torch form, for the export's message; null when it has one.</summary>
    public string? Refusal { get; }

    /// <summary>The node's value is <paramref name="expression"/>.</summary>
    public static TorchForm Of(string expression) => new(expression ?? throw new ArgumentNullException(nameof(expression)), null);

    /// <summary>No faithful torch form, because <paramref name="reason"/>.</summary>
    public static TorchForm Refuse(string reason) => new(null, reason ?? throw new ArgumentNullException(nameof(reason)));
}

/// <summary>
/// What an op's torch form is told about one node, and where it writes what must come before the
/// node's value: statements (a running-statistics update, a dropout mask), locals and the side
/// values the trace shows (<c>v["drop.mask"]</c>). Python names the generated module provides:
/// <c>torch</c>, <c>F</c> (torch.nn.functional), <c>np</c>, <c>v</c> (the dict of values),
/// <c>self.training</c> (the mode), <c>step</c> (the 1-based step of the pass),
/// <c>self.dtype</c> and <c>counter_uniform(seed, node, step, n)</c> (NetSpec's counter-based
/// uniforms as a numpy float64 array).
/// </summary>
public sealed class TorchNode
{
    private readonly List<string> _lines = [];
    private readonly IReadOnlyList<string> _buffers;

    /// <param name="name">The node's name.</param>
    /// <param name="inputs">Each input value's Python expression (list slots flattened in order).</param>
    /// <param name="inputShapes">Each input's shape in the built graph (the batch axis may differ at run time).</param>
    /// <param name="output">The node's output shape in the built graph.</param>
    /// <param name="attributes">The node's attribute values.</param>
    /// <param name="buffers">For each input, the Python expression of the state buffer it is (<see cref="InputSlot.State"/>), else "".</param>
    public TorchNode(string name, IReadOnlyList<string> inputs, IReadOnlyList<Shape> inputShapes, Shape output, AttributeValues attributes,
        IReadOnlyList<string>? buffers = null)
    {
        Name = name;
        Inputs = inputs;
        InputShapes = inputShapes;
        Output = output;
        Attributes = attributes;
        _buffers = buffers ?? [.. inputs.Select(_ => "")];
    }

    public string Name { get; }
    public IReadOnlyList<string> Inputs { get; }
    public IReadOnlyList<Shape> InputShapes { get; }
    public Shape Output { get; }
    public AttributeValues Attributes { get; }

    /// <summary>Input <paramref name="i"/>'s Python expression.</summary>
    public string this[int i] => Inputs[i];

    public int Count => Inputs.Count;

    /// <summary>The Python expression of the mode: true in training mode.</summary>
    public const string Training = "self.training";

    /// <summary>The Python expression of the pass's step.</summary>
    public const string Step = "step";

    /// <summary>The Python expression of the module's floating-point type.</summary>
    public const string DType = "self.dtype";

    /// <summary>The buffer a state input is: assigning to it in place (<c>.copy_</c> under <c>torch.no_grad()</c>) updates the state.</summary>
    public string Buffer(int i) => _buffers[i] is { Length: > 0 } b ? b : throw new InvalidOperationException($"input {i} of node '{Name}' is not state");

    /// <summary>The statements written before the node's value, in order (indented relative to forward's body).</summary>
    public IReadOnlyList<string> Lines => _lines;

    /// <summary>Writes a statement before the node's value (a line of a block starts with its own extra indentation).</summary>
    public void Line(string python) => _lines.Add(python);

    /// <summary>A local of the node, <c>name_label</c> (unique in forward: node names are).</summary>
    public string Local(string label) => $"{Name}_{label}";

    /// <summary>Writes <c>local = expression</c> and returns the local (a value the node's expression reads twice).</summary>
    public string Let(string label, string expression)
    {
        string local = Local(label);
        Line($"{local} = {expression}");
        return local;
    }

    /// <summary>The Python expression of side value <paramref name="label"/> as the trace names it: <c>v["node.label"]</c>.</summary>
    public string Side(string label) => $"v[{Py.Str(Name + "." + label)}]";
}

/// <summary>Python literals and shared pieces of the ops' torch forms.</summary>
public static class Py
{
    /// <summary>A float literal that reads back as the same double: <c>0.1</c>, <c>1.0</c>, <c>1e-05</c>, <c>float("inf")</c>.</summary>
    public static string Num(double x)
    {
        if (double.IsNaN(x)) return "float(\"nan\")";
        if (double.IsInfinity(x)) return x > 0 ? "float(\"inf\")" : "-float(\"inf\")";
        string s = x.ToString("R", CultureInfo.InvariantCulture);
        return s.Contains('.', StringComparison.Ordinal) || s.Contains('E', StringComparison.Ordinal) ? s.Replace("E", "e", StringComparison.Ordinal) : s + ".0";
    }

    /// <summary>An int literal.</summary>
    public static string Int(long x) => x.ToString(CultureInfo.InvariantCulture);

    /// <summary>A tuple of ints: <c>(1, 2)</c>, <c>(3,)</c>, <c>()</c>.</summary>
    public static string Tuple(IEnumerable<int> xs)
    {
        var items = xs.Select(x => Int(x)).ToList();
        return items.Count == 1 ? $"({items[0]},)" : $"({string.Join(", ", items)})";
    }

    /// <summary>A list of ints: <c>[1, 2]</c>.</summary>
    public static string List(IEnumerable<int> xs) => "[" + string.Join(", ", xs.Select(x => Int(x))) + "]";

    /// <summary>A Python string literal in double quotes (text as it is; quotes, backslashes and control characters escaped).</summary>
    public static string Str(string s)
    {
        var sb = new StringBuilder("\"");
        foreach (char c in s)
            sb.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                _ when char.IsControl(c) => $"\\u{(int)c:x4}",
                _ => c.ToString(),
            });
        return sb.Append('"').ToString();
    }

    /// <summary>A Python bool.</summary>
    public static string Bool(bool b) => b ? "True" : "False";

    /// <summary>A scalar constant of the module's dtype: <c>torch.tensor(0.5, dtype=self.dtype)</c>.</summary>
    public static string Scalar(double x) => $"torch.tensor({Num(x)}, dtype={TorchNode.DType})";

    /// <summary><c>a + b + c</c> (one term: itself).</summary>
    public static string Sum(IEnumerable<string> terms) => string.Join(" + ", terms);
}

/// <summary>Pieces several ops' torch forms share.</summary>
public static class TorchForms
{
    /// <summary><c>fn(x)</c> of the node's one input, with <paramref name="arguments"/> after it (an element-wise function).</summary>
    public static TorchForm Call(string fn, TorchNode node, string arguments = "")
    {
        ArgumentNullException.ThrowIfNull(node);
        return TorchForm.Of($"{fn}({node[0]}{(arguments.Length > 0 ? ", " + arguments : "")})");
    }

    /// <summary>Input <paramref name="i"/> as a vector: itself, or <c>.reshape(-1)</c> of a 1 x n matrix (a bias written as a row).</summary>
    public static string Vector(TorchNode node, int i)
    {
        ArgumentNullException.ThrowIfNull(node);
        return node.InputShapes[i].Rank == 1 ? node[i] : $"{node[i]}.reshape(-1)";
    }

    /// <summary>x.fn(dim=axes, keepdim=keepdims) of a reduce_sum or reduce_mean node (its attributes axes and keepdims); x.fn() over every axis.</summary>
    internal static TorchForm Reduction(TorchNode node, string fn)
    {
        ArgumentNullException.ThrowIfNull(node);
        var x = node.InputShapes[0];
        var axes = ReduceSum.Normalize(node.Attributes.Integers(0), x.Rank).Axes!;
        bool keep = node.Attributes.Flag(1);
        return TorchForm.Of(x.Rank == 0 || (axes.Length == x.Rank && !keep)
            ? $"{node[0]}.{fn}()"
            : $"{node[0]}.{fn}(dim={Py.Tuple(axes)}{(keep ? ", keepdim=True" : "")})");
    }

    /// <summary>A loss's reduction of per-element losses <paramref name="losses"/>: <c>.mean()</c>, <c>.sum()</c>, or themselves (none).</summary>
    public static string Reduce(string losses, string reduction) => reduction switch
    {
        "mean" => $"({losses}).mean()",
        "sum" => $"({losses}).sum()",
        _ => losses,
    };

    /// <summary>
    /// softplus(z) = max(z, 0) + ln(1 + e^-|z|), written term by term as NetSpec computes it:
    /// <c>(torch.maximum(z, 0) + torch.log1p(torch.exp(-torch.abs(z))))</c> (parenthesized: it is a term of larger expressions). Its autograd gradient is the
    /// sigmoid s(z) everywhere, s(0) = ½ included (torch.maximum gives a tie half the gradient and
    /// |z|'s derivative at 0 is 0). torch.logaddexp(z, 0) is not used: torch 1.13 computes it as
    /// ln(e^a + e^b) far from 0, so softplus(-20) loses 8 digits (3.4e-8 relative).
    /// </summary>
    public static string Softplus(string z) => $"(torch.maximum({z}, torch.zeros_like({z})) + torch.log1p(torch.exp(-torch.abs({z}))))";

    /// <summary>
    /// Class-index labels (input <paramref name="i"/>) as torch's int64 targets for scores <paramref name="scores"/> with
    /// classes on <paramref name="axis"/>: <c>y.long()</c>, a 1 x N data vector read as the N labels of N x C scores.
    /// </summary>
    public static string Labels(TorchNode node, int i, Shape scores, int axis)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(scores);
        bool row = !node.InputShapes[i].Equals(Axes.Reduce(scores, [axis], keep: false));
        return row ? $"{node[i]}.reshape(-1).long()" : $"{node[i]}.long()";
    }

    /// <summary>An attribute given as one value for every spatial axis or one per axis, per axis (empty: <paramref name="empty"/>).</summary>
    public static int[] PerAxis(int[] values, int dims, int[] empty)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Length == 0) return empty;
        return values.Length == 1 ? [.. Enumerable.Repeat(values[0], dims)] : values;
    }

    /// <summary>
    /// Padding given as one value for every side, one per axis, or <paramref name="dims"/> begin pads then
    /// <paramref name="dims"/> end pads (ONNX's pads): the begin and end pads per spatial axis.
    /// </summary>
    public static (int[] Begin, int[] End) Pads(int[] padding, int dims)
    {
        ArgumentNullException.ThrowIfNull(padding);
        if (padding.Length == 2 * dims && padding.Length != dims) return (padding[..dims], padding[dims..]);
        var p = PerAxis(padding, dims, new int[dims]);
        return (p, p);
    }

    /// <summary>
    /// <c>F.pad</c>'s tuple for the last <c>begin.Length</c> axes: pairs from the last axis backwards,
    /// (last_begin, last_end, second_last_begin, ...); negative entries crop.
    /// </summary>
    public static string PadTuple(int[] begin, int[] end)
    {
        ArgumentNullException.ThrowIfNull(begin);
        ArgumentNullException.ThrowIfNull(end);
        var items = new List<int>();
        for (int a = begin.Length - 1; a >= 0; a--)
        {
            items.Add(begin[a]);
            items.Add(end[a]);
        }
        return Py.Tuple(items);
    }

    /// <summary>The axes but axis 1 of a rank-<paramref name="rank"/> tensor: batch_norm's statistics' axes.</summary>
    public static string AllButChannels(int rank) => Py.Tuple(Enumerable.Range(0, rank).Where(a => a != 1));

    /// <summary>
    /// The op's torch form for the docs, as the PyTorch export writes it for the node <c>out</c> of the op's first gradient case
    /// (inputs named as their slots): "`out = F.linear(x, W, b)` (for x: 2x4, ...)", its statements first; or why the op has none.
    /// </summary>
    public static string Describe(Op op)
    {
        ArgumentNullException.ThrowIfNull(op);
        var c = op.GradientCases(2).First();
        var shapes = c.InputShapes.Select(s => new Shape(s)).ToArray();
        bool list = op.Inputs.Count == 1 && op.Inputs[0].IsList;
        var names = shapes.Select((_, i) => list ? $"{op.Inputs[0].Name}_{i + 1}" : op.Inputs[i].Name).ToArray();
        var attributes = new AttributeValues([.. op.Attributes.Select(a =>
            c.Attributes.Where(x => x.Name == a.Name).Select(x => ReadAttribute(a, x.Yaml.Trim())).FirstOrDefault() ?? a.Default!)]);
        var output = op.Setup(shapes, names, attributes).Shape ?? throw new InvalidOperationException($"{op.Name}'s first gradient case does not fit it");
        var buffers = names.Select((n, i) => op.Inputs[Math.Min(i, op.Inputs.Count - 1)].State ? $"self.state.{n}" : "").ToArray();
        var node = new TorchNode("out", names, shapes, output, attributes, buffers);
        var form = op.ToTorch(node);
        if (form.Refusal is { } why) return "none: " + why;
        var code = node.Lines.Select(l => $"`{l.Trim()}`").Append($"`out = {form.Expression}`");
        return string.Join("; ", code) + $" (for {string.Join(", ", names.Select((n, i) => $"{n}: {(shapes[i].Rank == 0 ? "scalar" : shapes[i].ToString())}"))})";
    }

    /// <summary>An attribute as a gradient case writes it (<c>0.3</c>, <c>[0, 2]</c>, <c>true</c>, <c>tanh</c>), read by its type.</summary>
    private static AttributeValue ReadAttribute(AttributeSpec a, string yaml) => a.Type switch
    {
        AttributeType.Number or AttributeType.Integer => AttributeValue.Of(double.Parse(yaml, CultureInfo.InvariantCulture)),
        AttributeType.Flag => AttributeValue.Of(yaml is "1" or "true"),
        AttributeType.Enum => AttributeValue.Of(yaml),
        _ => AttributeValue.Of([.. yaml.Trim('[', ']').Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(x => long.Parse(x, CultureInfo.InvariantCulture))]),
    };
}
