using System.Globalization;
using System.Text;
using NetSpec.Runtime.Execution;
using NetSpec.Runtime.Ops;

namespace NetSpec.Runtime.Checks;

/// <summary>
/// Turns an op's <see cref="GradientCase"/> into the spec of its finite-difference gradient
/// check: one node over random inputs of the case's shapes, each drawn in its slot's
/// <see cref="ValueDomain"/>, with backward from the node (seeded by a random assumed gradient
/// when the output is not a scalar). The accumulation variant writes the node twice on the same
/// inputs and adds the two with <c>sum</c>, so every input gradient receives two contributions.
/// The same (op, case, batch, seed) always gives the same text.
/// </summary>
/// <remarks>
/// Inputs of rank 1 are written as parameters, the others as data: a data vector is read as a
/// batch of one (1 x n), a parameter keeps its rank. Values are printed with "R" round-trip
/// formatting, as nested lists of the input's rank.
/// </remarks>
public static class GradientCaseSpecs
{
    /// <summary>The node under check; in the accumulation variant, its two copies and their sum.</summary>
    public const string Node = "out";

    /// <summary>
    /// The spec text checking <paramref name="c"/> of <paramref name="op"/>, whose shapes were made
    /// for batch size <paramref name="batch"/>, with random values drawn from <paramref name="seed"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The case does not fit the op (a bug in the op's definition): the message says why.</exception>
    public static string Spec(Op op, GradientCase c, int batch, int seed, bool accumulate = false)
    {
        ArgumentNullException.ThrowIfNull(op);
        ArgumentNullException.ThrowIfNull(c);
        var shapes = c.InputShapes.Select(s => new Shape(s)).ToArray();
        var slots = SlotOf(op, shapes.Length, c);
        var names = Names(op, c, slots);
        var attributes = Attributes(op, c);
        var output = op.Setup(shapes, names, attributes);
        if (output.Shape is not { } outShape)
            throw new ArgumentException($"gradient case '{c.Label}' of {op.Name}: {output.Error}", nameof(c));

        var rng = new Rng(Hash($"{op.Name}\n{c.Label}\n{batch}\n{seed}\n{accumulate}"));
        var data = new StringBuilder();
        var parameters = new StringBuilder();
        var written = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < shapes.Length; i++)
        {
            if (!written.Add(names[i])) continue;   // a shared position: drawn once
            int axis = shapes[i].Rank == 0 ? 0 : op.DistributionAxis(attributes, shapes[i].Rank);
            var values = slots[i].Domain == ValueDomain.ClassIndex
                ? ClassIndices(rng, shapes[i], Classes(op, attributes, shapes[0]), IgnoreIndex(op, c, attributes))
                : Draw(rng, shapes[i], slots[i].Domain, op.HasKinkAtZero, axis);
            var into = shapes[i].Rank == 1 ? parameters : data;
            into.Append(into.Length == 0 ? "" : ", ").Append(names[i]).Append(": ").Append(Literal(shapes[i], values));
        }

        var node = new StringBuilder("{op: ").Append(op.Name);
        bool list = op.Inputs.Count == 1 && op.Inputs[0].IsList;
        if (list) node.Append(", ").Append(op.Inputs[0].Name).Append(": [").Append(string.Join(", ", names)).Append(']');
        else
            for (int i = 0; i < names.Length; i++) node.Append(", ").Append(op.Inputs[i].Name).Append(": ").Append(names[i]);
        foreach (var (name, yaml) in c.Attributes) node.Append(", ").Append(name).Append(": ").Append(yaml);
        node.Append('}');

        var sb = new StringBuilder();
        sb.Append("# gradient check of ").Append(op.Name).Append(": ").Append(c.Label)
          .Append(" (batch ").Append(batch).Append(", seed ").Append(seed).Append(accumulate ? ", accumulated)" : ")").Append('\n');
        if (c.Mode is { } mode) sb.Append("mode: ").Append(mode).Append('\n');
        sb.Append("network:\n");
        if (accumulate)
        {
            sb.Append("  ").Append(Node).Append("_1: ").Append(node).Append('\n');
            sb.Append("  ").Append(Node).Append("_2: ").Append(node).Append('\n');
            sb.Append("  ").Append(Node).Append(": {op: sum, inputs: [").Append(Node).Append("_1, ").Append(Node).Append("_2]}\n");
        }
        else sb.Append("  ").Append(Node).Append(": ").Append(node).Append('\n');
        if (data.Length > 0) sb.Append("data: {").Append(data).Append("}\n");
        if (parameters.Length > 0) sb.Append("parameters: {").Append(parameters).Append("}\n");
        sb.Append("backward: {from: ").Append(Node);
        if (outShape.Rank > 0)
            sb.Append(", grad: ").Append(Literal(outShape, Draw(rng, outShape, ValueDomain.Real, kinked: false, axis: 0)));
        sb.Append("}\n");
        return sb.ToString();
    }

    /// <summary>The slot each input value belongs to (a list slot takes every value).</summary>
    private static InputSlot[] SlotOf(Op op, int count, GradientCase c)
    {
        var slots = op.Inputs;
        bool list = slots.Count == 1 && slots[0].IsList;
        if (!list && (count < op.RequiredInputs || count > slots.Count))
            throw new ArgumentException($"gradient case '{c.Label}' of {op.Name} has {count} input shapes for {op.RequiredInputs} to {slots.Count} inputs", nameof(c));
        return [.. Enumerable.Range(0, count).Select(i => list ? slots[0] : slots[i])];
    }

    /// <summary>Each input value's name: the slot's name (a list slot's name and position), shared positions bound to the first one's.</summary>
    private static string[] Names(Op op, GradientCase c, InputSlot[] slots)
    {
        bool list = op.Inputs.Count == 1 && op.Inputs[0].IsList;
        var names = slots.Select((s, i) => list ? $"{s.Name}_{i + 1}" : s.Name).ToArray();
        foreach (var group in c.Shared)
        {
            if (group.Length == 0 || group.Any(p => p < 0 || p >= names.Length))
                throw new ArgumentException($"gradient case '{c.Label}' of {op.Name} shares a position outside its {names.Length} inputs", nameof(c));
            foreach (int p in group)
            {
                if (!c.InputShapes[p].AsSpan().SequenceEqual(c.InputShapes[group[0]]))
                    throw new ArgumentException($"gradient case '{c.Label}' of {op.Name} shares inputs {group[0]} and {p} of different shapes", nameof(c));
                names[p] = names[group[0]];
            }
        }
        return names;
    }

    /// <summary>The case's attributes read as the op's typed values, defaults for the rest.</summary>
    private static AttributeValues Attributes(Op op, GradientCase c)
    {
        foreach (var (name, _) in c.Attributes)
            if (op.AttributeIndex(name) < 0)
                throw new ArgumentException($"gradient case '{c.Label}' of {op.Name} sets '{name}', which is not an attribute of {op.Name}", nameof(c));
        var values = op.Attributes.Select(a =>
        {
            var written = c.Attributes.Where(x => x.Name == a.Name).Select(x => x.Yaml).FirstOrDefault();
            if (written is null)
                return a.Default ?? throw new ArgumentException($"gradient case '{c.Label}' of {op.Name} lacks the required attribute '{a.Name}'", nameof(c));
            return Read(a, written.Trim()) ?? throw new ArgumentException($"gradient case '{c.Label}' of {op.Name}: '{written}' is not a {a.TypeText}", nameof(c));
        });
        return new AttributeValues([.. values]);
    }

    private static AttributeValue? Read(AttributeSpec a, string yaml)
    {
        var inv = CultureInfo.InvariantCulture;
        switch (a.Type)
        {
            case AttributeType.Number or AttributeType.Integer:
                return double.TryParse(yaml, NumberStyles.Float, inv, out var x) ? AttributeValue.Of(x) : null;
            case AttributeType.Flag:
                return yaml switch { "1" or "true" => AttributeValue.Of(true), "0" or "false" => AttributeValue.Of(false), _ => null };
            case AttributeType.Enum:
                return a.Choices.Contains(yaml, StringComparer.Ordinal) ? AttributeValue.Of(yaml) : null;
            default:
            {
                var items = yaml.TrimStart('[').TrimEnd(']').Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
                var xs = new long[items.Length];
                for (int i = 0; i < items.Length; i++)
                    if (!long.TryParse(items[i], NumberStyles.Integer, inv, out xs[i])) return null;
                return AttributeValue.Of(xs);
            }
        }
    }

    /// <summary>Random values of <paramref name="shape"/> in <paramref name="domain"/>; distributions lie along <paramref name="axis"/>.</summary>
    private static double[] Draw(Rng rng, Shape shape, ValueDomain domain, bool kinked, int axis)
    {
        var v = new double[shape.Length];
        switch (domain)
        {
            case ValueDomain.Positive:
                for (int i = 0; i < v.Length; i++) v[i] = 0.2 + 1.8 * rng.NextDouble();
                break;
            case ValueDomain.Probability:
                for (int i = 0; i < v.Length; i++) v[i] = 0.05 + 0.9 * rng.NextDouble();
                break;
            case ValueDomain.Distribution:
            {
                var (outer, size, inner) = Axes.Split(shape, axis);
                for (int o = 0; o < outer; o++)
                    for (int i = 0; i < inner; i++)
                    {
                        double sum = 0;
                        for (int j = 0; j < size; j++) sum += v[(o * size + j) * inner + i] = 0.05 + rng.NextDouble();
                        for (int j = 0; j < size; j++) v[(o * size + j) * inner + i] /= sum;
                    }
                break;
            }
            default:
                for (int i = 0; i < v.Length; i++)
                {
                    double u = 2 * rng.NextDouble() - 1;
                    // Kept at least 0.01 from a kink at 0, so the central difference (step 1e-6) never crosses it.
                    v[i] = kinked ? Math.CopySign(0.01 + 0.99 * Math.Abs(u), u) : u;
                }
                break;
        }
        return v;
    }

    /// <summary>C, the size of the scores along the op's class axis (<see cref="Op.DistributionAxis"/>); 1 for a scalar.</summary>
    private static int Classes(Op op, AttributeValues attributes, Shape scores) =>
        scores.Rank == 0 ? 1 : scores[op.DistributionAxis(attributes, scores.Rank)];

    /// <summary>The op's ignore_index when the case sets it, else null (no label drawn as ignored).</summary>
    private static int? IgnoreIndex(Op op, GradientCase c, AttributeValues attributes)
    {
        int k = op.AttributeIndex("ignore_index");
        return k >= 0 && c.Attributes.Any(a => a.Name == "ignore_index") ? attributes.Integer(k) : null;
    }

    /// <summary>
    /// Class indices in [0, <paramref name="classes"/>) as floats; with an ignore index, about a
    /// third of them (never the first, so a mean over the others exists) are that index instead.
    /// </summary>
    private static double[] ClassIndices(Rng rng, Shape shape, int classes, int? ignore)
    {
        var v = new double[shape.Length];
        for (int i = 0; i < v.Length; i++)
        {
            double u = rng.NextDouble();
            v[i] = ignore is { } ii && i > 0 && u < 1.0 / 3 ? ii : Math.Min(classes - 1, (int)(rng.NextDouble() * classes));
        }
        return v;
    }

    /// <summary>Values as a YAML literal of the shape's rank: a number, [..], [[..], ..], ...</summary>
    internal static string Literal(Shape shape, ReadOnlySpan<double> values)
    {
        var sb = new StringBuilder();
        int at = 0;
        Write(sb, shape, 0, values, ref at);
        return sb.ToString();
    }

    private static void Write(StringBuilder sb, Shape shape, int axis, ReadOnlySpan<double> values, ref int at)
    {
        if (axis == shape.Rank)
        {
            sb.Append(values[at++].ToString("R", CultureInfo.InvariantCulture));
            return;
        }
        sb.Append('[');
        for (int i = 0; i < shape[axis]; i++)
        {
            if (i > 0) sb.Append(", ");
            Write(sb, shape, axis + 1, values, ref at);
        }
        sb.Append(']');
    }

    /// <summary>FNV-1a over the text: a seed that does not change between runs (string.GetHashCode does).</summary>
    private static ulong Hash(string s)
    {
        ulong h = 14695981039346656037UL;
        foreach (char ch in s)
        {
            h ^= ch;
            h *= 1099511628211UL;
        }
        return h;
    }
}
