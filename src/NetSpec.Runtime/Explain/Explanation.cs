using NetSpec.Runtime.Ops;

namespace NetSpec.Runtime.Explain;

/// <summary>What a tensor in an explanation is: a value, a gradient dJ/d(value) or an updated parameter.</summary>
public enum ExplainRole
{
    Value,
    Gradient,
    Updated,
}

/// <summary>
/// A tensor as an op's explanation reads it: its values (as the trace has them), its name and
/// role, and the sample being explained. A batched tensor (its axis 0 is the batch) is indexed
/// within the current sample, so an op writes one sample's arithmetic and the explanation repeats
/// it sample by sample: <c>x.At(k)</c> is x_k of the sample, <c>W.At(i, k)</c> is W_ik.
/// </summary>
public sealed class ExplainTensor
{
    private readonly Explanation _owner;

    internal ExplainTensor(Explanation owner, string name, Shape shape, double[] values, bool single, bool batched, ExplainRole role)
    {
        _owner = owner;
        Name = name;
        Shape = shape;
        Values = values;
        Single = single;
        Batched = batched && shape.Rank >= 1;
        Role = role;
        LocalShape = Batched ? new Shape([.. shape.ToArray().Skip(1)]) : shape;
    }

    /// <summary>The value's name in the spec.</summary>
    public string Name { get; }

    public Shape Shape { get; }

    /// <summary>Every element, row-major, the whole batch.</summary>
    public double[] Values { get; }

    /// <summary>Whether the run computes in float32.</summary>
    public bool Single { get; }

    /// <summary>Whether axis 0 is the batch (the tensor is read one sample at a time).</summary>
    public bool Batched { get; }

    public ExplainRole Role { get; }

    /// <summary>The shape of one sample (the whole shape when not batched).</summary>
    public Shape LocalShape { get; }

    /// <summary>Elements per sample.</summary>
    public int LocalLength => LocalShape.Length;

    private int Offset(int sample) => Batched ? sample * LocalLength : 0;

    /// <summary>The element at a flat index within the current sample.</summary>
    public double AtFlat(int local) => Values[Offset(_owner.Sample) + local];

    /// <summary>The element at a flat index within sample <paramref name="sample"/> (0-based).</summary>
    public double AtSample(int sample, int local) => Values[Offset(sample) + local];

    /// <summary>The element at <paramref name="index"/> within the current sample.</summary>
    public double At(params int[] index) => AtFlat(Flatten(index));

    /// <summary>The flat index within a sample of a multi-index.</summary>
    public int Flatten(params int[] index)
    {
        ArgumentNullException.ThrowIfNull(index);
        int f = 0;
        for (int k = 0; k < index.Length; k++) f = f * LocalShape[k] + index[k];
        return f;
    }

    /// <summary>The multi-index within a sample of a flat index.</summary>
    public int[] Unflatten(int local) => ExplainTarget.Unflatten(LocalShape, local);

    /// <summary>The element as a number in the run's precision.</summary>
    public MathNumber Num(params int[] index) => new(At(index), Single);

    /// <summary>The element at a flat index as a number.</summary>
    public MathNumber NumFlat(int local) => new(AtFlat(local), Single);

    /// <summary>
    /// The element's symbol with 1-based subscripts as the notes write them: z_1, W_12 (a scalar has
    /// none); dJ/dz_1 for a gradient, W*_12 for an updated parameter.
    /// </summary>
    public MathExpr Sym(params int[] index) => Role switch
    {
        ExplainRole.Gradient => new MathGradient(ValueSym(index)) { Via = Partial ? Via : null },
        ExplainRole.Updated => new MathSymbol(Name, OneBased(index)) { Updated = true },
        _ => ValueSym(index),
    };

    /// <summary>The symbol of the element at a flat index.</summary>
    public MathExpr SymFlat(int local) => Sym(Unflatten(local));

    /// <summary>The value's own symbol (z_1), whatever the role.</summary>
    public MathSymbol ValueSym(params int[] index) => new(Name, OneBased(index));

    /// <summary>The whole tensor's symbol (z, dJ/dz, W*).</summary>
    public MathExpr WholeSym => Role switch
    {
        ExplainRole.Gradient => new MathGradient(new MathSymbol(Name)) { Via = Partial ? Via : null },
        ExplainRole.Updated => new MathSymbol(Name) { Updated = true },
        _ => new MathSymbol(Name),
    };

    private static int[]? OneBased(int[] index) => index is null || index.Length == 0 ? null : [.. index.Select(i => i + 1)];

    /// <summary>Whether one sample is small enough to write out as a matrix or vector.</summary>
    public bool Small => LocalShape.Rank <= 2 && LocalLength <= _owner.Options.MatrixLimit && LocalLength > 0;

    /// <summary>
    /// One sample written out: a scalar as a number, a vector as a column (as the notes write
    /// vectors), a matrix as its rows. Null when not <see cref="Small"/>.
    /// </summary>
    public MathExpr? Matrix(Func<int, MathExpr>? entry = null)
    {
        if (!Small) return null;
        entry ??= NumFlat;
        if (LocalShape.Rank == 0) return entry(0);
        if (LocalShape.Rank == 1)
            return new MathMatrix([.. Enumerable.Range(0, LocalShape[0]).Select(i => (IReadOnlyList<MathExpr>)[entry(i)])]) { ShowSize = true };
        int r = LocalShape[0], c = LocalShape[1];
        return new MathMatrix([.. Enumerable.Range(0, r).Select(i => (IReadOnlyList<MathExpr>)[.. Enumerable.Range(0, c).Select(j => entry(i * c + j))])]) { ShowSize = true };
    }

    /// <summary>The target of the element at a flat index within the current sample, for answer keys.</summary>
    internal ExplainTarget Target(int local) =>
        new(Name, Role switch { ExplainRole.Gradient => ExplainKind.Gradient, ExplainRole.Updated => ExplainKind.Updated, _ => ExplainKind.Forward },
            Offset(_owner.Sample) + local);

    /// <summary>Whether this tensor is one node's part of a gradient that other nodes add to (not the whole dJ/dx).</summary>
    public bool Partial { get; internal init; }

    /// <summary>The node whose share a <see cref="Partial"/> gradient is.</summary>
    public string? Via { get; internal init; }
}

/// <summary>
/// What an op's explanation sees and writes (<see cref="Op.ExplainForward"/>,
/// <see cref="Op.ExplainBackward"/>): the node's inputs and output as the trace has them, in
/// backward the gradient arriving at the output and this node's contribution to each input's
/// gradient, and the lines it writes. Numbers are never rounded before they are used: the ops
/// compute with the trace's values, and only the renderer rounds what it shows.
/// </summary>
public sealed class Explanation
{
    private readonly List<ExplainItem> _items = [];
    private readonly ExplainTensor[] _inputs;
    private readonly ExplainTensor?[] _contributions;
    private readonly Dictionary<string, ExplainTensor> _sides;
    private readonly int[] _samples;
    private bool _cutNoted;

    internal Explanation(ExplainPhase phase, string node, AttributeValues attributes, ExplainOptions options, int batch, int[] samples,
        Func<Explanation, ExplainTensor[]> inputs, Func<Explanation, ExplainTensor> output, Func<Explanation, ExplainTensor?>? outputGrad,
        Func<Explanation, ExplainTensor?[]>? contributions, Func<Explanation, Dictionary<string, ExplainTensor>>? sides, bool single)
    {
        Phase = phase;
        Node = node;
        Attributes = attributes;
        Options = options;
        BatchSize = batch;
        _samples = samples;
        Single = single;
        _inputs = inputs(this);
        Output = output(this);
        OutputGrad = outputGrad?.Invoke(this);
        _contributions = contributions?.Invoke(this) ?? new ExplainTensor?[_inputs.Length];
        _sides = sides?.Invoke(this) ?? [];
    }

    public ExplainPhase Phase { get; }

    /// <summary>The name of the node explained.</summary>
    public string Node { get; }

    /// <summary>The node's attribute values, in the order of <see cref="Op.Attributes"/>.</summary>
    public AttributeValues Attributes { get; }

    public ExplainOptions Options { get; }

    /// <summary>Whether the run computes in float32.</summary>
    public bool Single { get; }

    /// <summary>The samples in the batch (1 when nothing is batched).</summary>
    public int BatchSize { get; }

    /// <summary>The 0-based sample being explained.</summary>
    public int Sample { get; private set; }

    /// <summary>The 0-based samples this explanation covers.</summary>
    public IReadOnlyList<int> Samples => _samples;

    public int InputCount => _inputs.Length;

    /// <summary>Input <paramref name="i"/>'s values (list slots flattened in order).</summary>
    public ExplainTensor Input(int i) => _inputs[i];

    /// <summary>The node's output (forward) as the trace has it.</summary>
    public ExplainTensor Output { get; }

    /// <summary>Backward: dJ/d(output).</summary>
    public ExplainTensor? OutputGrad { get; }

    /// <summary>
    /// Backward: this node's contribution to dJ/d(input i), or null when no gradient flows there.
    /// When no other node adds to that gradient it is the whole gradient (the trace's values).
    /// </summary>
    public ExplainTensor? Contribution(int i) => _contributions[i];

    /// <summary>A value the op showed in the trace besides its output (dropout's <c>mask</c>), or null.</summary>
    public ExplainTensor? Side(string label) => _sides.GetValueOrDefault(label);

    /// <summary>A number in the run's precision.</summary>
    public MathNumber N(double v) => new(v, Single);

    /// <summary>Writes a general formula (no numbers yet), e.g. z = W x + b.</summary>
    public void Formula(params MathExpr[] sides) => _items.Add(new ExplainEquation(new MathEquation(sides)) { IsFormula = true });

    /// <summary>Writes a line of arithmetic that computes no single entry (a matrix line, a partial sum).</summary>
    public void Line(params MathExpr[] sides) => _items.Add(new ExplainEquation(new MathEquation(sides)));

    /// <summary>
    /// Writes the line computing entry <paramref name="local"/> of <paramref name="t"/> (within the
    /// current sample): its symbol, the <paramref name="working"/> sides, then its value.
    /// </summary>
    public void Entry(ExplainTensor t, int local, params MathExpr[] working)
    {
        ArgumentNullException.ThrowIfNull(t);
        ArgumentNullException.ThrowIfNull(working);
        var sides = new List<MathExpr>(working.Length + 2) { t.SymFlat(local) };
        sides.AddRange(working);
        sides.Add(t.NumFlat(local));
        _items.Add(new ExplainEquation(new MathEquation(sides)) { Target = t.Partial ? null : t.Target(local), Value = t.AtFlat(local) });
    }

    /// <summary>Writes a sentence.</summary>
    public void Note(string text) => _items.Add(new ExplainNote(text));

    /// <summary>
    /// Runs <paramref name="body"/> once per sample explained, with <see cref="Sample"/> set and,
    /// in a batch of more than one, a heading before each sample's lines; once, without a heading,
    /// when none of the node's values is read by sample.
    /// </summary>
    public void ForEachSample(Action body)
    {
        ArgumentNullException.ThrowIfNull(body);
        // A node whose inputs and output are all whole-batch values (a loss, a sum of losses) has
        // no samples of its own: its lines are written once.
        if (!Output.Batched && !_inputs.Any(t => t.Batched))
        {
            body();
            return;
        }
        foreach (int s in _samples)
        {
            Sample = s;
            if (BatchSize > 1) _items.Add(new ExplainSample(s + 1, BatchSize));
            body();
        }
        Sample = _samples.Length > 0 ? _samples[0] : 0;
    }

    /// <summary>
    /// The flat indices (within a sample) of the entries of <paramref name="t"/> to explain: every
    /// one up to <see cref="ExplainOptions.MaxEntries"/>, else the first ones and a note saying so.
    /// </summary>
    public IEnumerable<int> Entries(ExplainTensor t)
    {
        ArgumentNullException.ThrowIfNull(t);
        int n = t.LocalLength, shown = Math.Min(n, Options.MaxEntries);
        if (shown < n && !_cutNoted)
        {
            _cutNoted = true;
            Note($"{t.Name} has {n} entries{(t.Batched ? " per sample" : "")}: the first {shown} are written out (--explain-entries N for more).");
        }
        return Enumerable.Range(0, shown);
    }

    internal IReadOnlyList<ExplainItem> Items => _items;
}
