namespace NetSpec.Runtime.Explain;

/// <summary>What <c>--explain</c> writes out and how.</summary>
public sealed record ExplainOptions
{
    /// <summary>Significant digits of numbers that are not whole (integers always stay integers).</summary>
    public int Digits { get; init; } = 7;

    /// <summary>The most entries of one tensor explained per sample; more are said to be left out.</summary>
    public int MaxEntries { get; init; } = 12;

    /// <summary>The most elements of a matrix or vector written out whole in a matrix line.</summary>
    public int MatrixLimit { get; init; } = 16;

    /// <summary>
    /// The 1-based sample explained, or null for every sample when the batch has at most
    /// <see cref="AutoSamples"/> samples and the first one otherwise (said so in the output).
    /// 0 explains every sample.
    /// </summary>
    public int? Sample { get; init; }

    /// <summary>Batches up to this size explain every sample by default.</summary>
    public int AutoSamples { get; init; } = 4;

    /// <summary>Only these nodes (by name); null for every node.</summary>
    public IReadOnlySet<string>? Nodes { get; init; }
}

/// <summary>Which value a line of arithmetic computes: a forward value, a gradient or an updated parameter.</summary>
public enum ExplainKind
{
    Forward,
    Gradient,
    Updated,
}

/// <summary>The phase a block explains.</summary>
public enum ExplainPhase
{
    Forward,
    Backward,
    Update,
}

/// <summary>The entry a line computes: value <paramref name="Value"/>'s element <paramref name="Index"/> (row-major, 0-based) of kind <paramref name="Kind"/>.</summary>
public sealed record ExplainTarget(string Value, ExplainKind Kind, int Index)
{
    /// <summary>The answer-file key, e.g. <c>z[0]</c> under forward, <c>W[1,0]</c> under gradients.</summary>
    public string Key(Shape shape) => shape.Rank == 0 ? Value : $"{Value}[{string.Join(",", Unflatten(shape, Index))}]";

    public static int[] Unflatten(Shape shape, int flat)
    {
        var idx = new int[shape.Rank];
        for (int k = shape.Rank - 1; k >= 0; k--)
        {
            idx[k] = flat % shape[k];
            flat /= shape[k];
        }
        return idx;
    }
}

/// <summary>One item of an explanation block.</summary>
public abstract record ExplainItem;

/// <summary>A line of arithmetic; <see cref="Target"/> says which entry its last side is (blanked in worksheets).</summary>
public sealed record ExplainEquation(MathEquation Equation) : ExplainItem
{
    public ExplainTarget? Target { get; init; }

    /// <summary>The exact value of the target (the trace's), for answer keys and grading.</summary>
    public double? Value { get; init; }

    /// <summary>A general formula before numbers are substituted (z = W x + b): a given, never a blank.</summary>
    public bool IsFormula { get; init; }
}

/// <summary>A sentence: what was left out and why, a convention, the sample shown.</summary>
public sealed record ExplainNote(string Text) : ExplainItem;

/// <summary>The start of one sample's lines in a batch.</summary>
public sealed record ExplainSample(int Sample, int Of) : ExplainItem;

/// <summary>The explanation of one node in one phase (or one parameter's update).</summary>
/// <param name="Phase">Forward, backward or update.</param>
/// <param name="Name">The node's output (forward, backward) or the parameter (update).</param>
/// <param name="Op">The node's op, or the optimizer.</param>
/// <param name="Title">What the block computes, e.g. <c>z = linear(x, W, b)</c>.</param>
/// <param name="Items">Its lines and notes, in order.</param>
public sealed record ExplainBlock(ExplainPhase Phase, string Name, string Op, string Title, IReadOnlyList<ExplainItem> Items);

/// <summary>Every block of one step, in the order the interpreter computed them.</summary>
public sealed record ExplainStep(int Step, IReadOnlyList<ExplainBlock> Blocks);

/// <summary>The whole explanation of a run.</summary>
public sealed record ExplainDocument(string Spec, string? Description, ExplainOptions Options, IReadOnlyList<ExplainStep> Steps)
{
    /// <summary>Notes about the whole document (float32 values, the samples shown).</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];
}
