using NetSpec.Parser.Diagnostics;

namespace NetSpec.Parser.Model;

/// <summary>Element type a spec computes in.</summary>
public enum DType
{
    Float64,
    Float32,
}

/// <summary>
/// The mode a run computes in: <see cref="Train"/> uses batch statistics and draws dropout masks,
/// <see cref="Eval"/> uses running statistics and leaves dropout out (torch's model.train() and
/// model.eval()). Only ops that say so (batch_norm, dropout) compute differently.
/// </summary>
public enum RunMode
{
    Train,
    Eval,
}

/// <summary>A name written in the spec, with where it was written.</summary>
public sealed record NameRef(string Name, SourceSpan Span);

/// <summary>A number written literally or as a hyperparameter's name, already resolved.</summary>
public sealed record NumberValue(double Value, string? Hyperparameter, SourceSpan Span)
{
    /// <summary>"0.001" or "alpha = 0.001".</summary>
    public override string ToString() =>
        Hyperparameter is null ? Format.Number(Value) : $"{Hyperparameter} = {Format.Number(Value)}";
}

/// <summary>
/// A tensor literal as written: a number (rank 0), a list (rank 1), a list of rows (rank 2), or
/// lists nested deeper, up to <see cref="MaxRank"/>. <see cref="Dims"/> has one entry per level
/// of nesting, outermost first; <see cref="Values"/> holds the product of the dimensions,
/// row-major (the last index varies fastest).
/// </summary>
public sealed record TensorLiteral(int[] Dims, double[] Values, SourceSpan Span)
{
    /// <summary>The most dimensions a tensor of a spec may have (lists nested this deep; initializer shapes this long).</summary>
    public const int MaxRank = 8;

    /// <summary>The number of dimensions: 0 for a number.</summary>
    public int Rank => Dims.Length;

    /// <summary>"scalar", "3", "2x3" or "2x3x4".</summary>
    public string ShapeText => Dims.Length == 0 ? "scalar" : string.Join("x", Dims);
}

/// <summary>A hyperparameter: defined once, referenced by name.</summary>
public sealed record Hyperparameter(string Name, double Value, SourceSpan Span);

/// <summary>Inline data (inputs and targets). The first dimension counts samples: the graph builder reads a vector as a batch of one.</summary>
public sealed record DataDecl(string Name, TensorLiteral Value, SourceSpan NameSpan);

/// <summary>How a parameter's initial value is drawn; <see cref="Shape"/> has 1 to <see cref="TensorLiteral.MaxRank"/> dimensions.</summary>
public sealed record InitializerDecl(
    NameRef Kind, int[] Shape, ulong Seed, IReadOnlyDictionary<string, NumberValue> Options, SourceSpan Span);

/// <summary>A trainable parameter: explicit values, or an initializer.</summary>
public sealed record ParameterDecl(string Name, TensorLiteral? Value, InitializerDecl? Init, SourceSpan NameSpan);

/// <summary>A value written for a node argument: a scalar (a name or a number) or a list of them.</summary>
public abstract record ArgValue(SourceSpan Span);

/// <summary>A scalar argument: a name (of a value or hyperparameter) or a number.</summary>
public sealed record ArgScalar(string Text, double? Number, SourceSpan Span) : ArgValue(Span);

/// <summary>A list argument, e.g. <c>inputs: [L, S]</c>.</summary>
public sealed record ArgList(IReadOnlyList<ArgScalar> Items, SourceSpan Span) : ArgValue(Span);

/// <summary>One key of a node other than <c>op</c>: an input slot or an attribute.</summary>
public sealed record NodeArg(string Key, ArgValue Value, SourceSpan KeySpan);

/// <summary>A node of the network: a named op applied to named inputs with attributes.</summary>
public sealed record NodeDecl(string Name, NameRef Op, IReadOnlyList<NodeArg> Args, SourceSpan NameSpan, SourceSpan Span);

/// <summary>Where backward starts: a scalar objective, or an assumed upstream gradient on a node.</summary>
public sealed record BackwardDecl(NameRef From, TensorLiteral? Grad, SourceSpan Span);

/// <summary>Plain gradient descent, W* = W - alpha dJ/dW, for a number of steps (or SGD with momentum, Adam).</summary>
public sealed record OptimizerDecl(NameRef Type, NumberValue LearningRate, NumberValue Steps, SourceSpan Span)
{
    /// <summary>Momentum, Adam's moments and the schedule; the defaults give plain gradient descent.</summary>
    public OptimizerSettings Settings { get; init; } = new(0, false, 0.9, 0.999, 1e-8, null);

    /// <summary>Whether the spec wrote <c>steps:</c> (a training spec counts epochs instead).</summary>
    public bool StepsWritten { get; init; }
}

/// <summary>Which value an expectation checks.</summary>
public enum ExpectKind
{
    Forward,
    Gradient,
    Updated,
}

/// <summary>One expected value with its tolerance.</summary>
public sealed record Expectation(ExpectKind Kind, NameRef Name, TensorLiteral Value, double Tolerance, int Step);

/// <summary>A parsed spec: immutable records, each carrying its source span.</summary>
public sealed record SpecDocument(
    string Path,
    int Version,
    string Name,
    string? Description,
    string? Source,
    DType DType,
    IReadOnlyList<Hyperparameter> Hyperparameters,
    IReadOnlyList<DataDecl> Data,
    IReadOnlyList<ParameterDecl> Parameters,
    IReadOnlyList<NodeDecl> Network,
    BackwardDecl? Backward,
    OptimizerDecl? Optimizer,
    double DefaultTolerance,
    IReadOnlyList<Expectation> Expectations)
{
    /// <summary>The <c>dataset:</c> section, for a spec that trains on a file.</summary>
    public DatasetDecl? Dataset { get; init; }

    /// <summary><c>mode: train</c> or <c>mode: eval</c> as written; null when the spec leaves it out (see <see cref="TrainingMode"/>).</summary>
    public RunMode? Mode { get; init; }

    /// <summary>
    /// Whether the spec's steps run in training mode: as <c>mode:</c> says, else training mode for
    /// a spec with a <c>backward</c> section (it computes gradients, as torch's model.train() is
    /// the default) and evaluation mode for a forward-only spec (inference). A training run
    /// evaluates its validation and test splits in evaluation mode whatever this says.
    /// </summary>
    public bool TrainingMode => Mode is { } m ? m == RunMode.Train : Backward is not null;

    /// <summary>
    /// Whether the spec has an <c>optimizer:</c> key; with <see cref="Optimizer"/> null, the section
    /// was refused with a diagnostic and its consequences (no optimizer, one step) are not reported again.
    /// </summary>
    public bool OptimizerRefused { get; init; }

    /// <summary>The <c>training:</c> section: epochs, batches, checkpoints, outputs.</summary>
    public TrainingDecl? Training { get; init; }

    /// <summary><c>parameters_file:</c>, a trained-parameters file whose values the parameters take.</summary>
    public PathRef? ParametersFile { get; init; }

    /// <summary><c>expect: metrics:</c>, checks of the final training metrics.</summary>
    public IReadOnlyList<MetricExpectation> MetricExpectations { get; init; } = [];

    /// <summary>
    /// Names declared in the spec (values or hyperparameters) whose declaration was refused with a
    /// diagnostic; references to them are not reported a second time.
    /// </summary>
    public IReadOnlySet<string> InvalidNames { get; init; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>
    /// The top-level sections written but not read: misspelled (reported as an unknown key) or
    /// refused with a diagnostic. What they declare or set is unknown, not missing, so what
    /// depends on them (a reference to a name, a hyperparameter, an optimizer's need of a
    /// backward section) is not reported as a second mistake.
    /// </summary>
    public IReadOnlySet<string> UnreadSections { get; init; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>Whether the top-level section <paramref name="section"/> was written but not read (see <see cref="UnreadSections"/>).</summary>
    public bool Unread(string section) => UnreadSections.Contains(section);

    /// <summary>
    /// In <see cref="InvalidNames"/>: a section of values (data, parameters) could not be read, so
    /// any name may have been declared there.
    /// </summary>
    public const string AnyName = "*";

    /// <summary>In <see cref="InvalidNames"/>: the hyperparameters could not be read, so any hyperparameter may have been declared there.</summary>
    public const string AnyHyperparameter = "$";

    /// <summary>Whether a reference to the hyperparameter <paramref name="name"/> that binds to nothing was already explained by an earlier diagnostic.</summary>
    public bool IsReportedHyperparameter(string name) => InvalidNames.Contains(name) || InvalidNames.Contains(AnyHyperparameter);

    /// <summary>Whether a reference to <paramref name="name"/> that binds to nothing was already explained by an earlier diagnostic.</summary>
    public bool IsReported(string name) => InvalidNames.Contains(name) || InvalidNames.Contains(AnyName);

    public Hyperparameter? FindHyperparameter(string name) =>
        Hyperparameters.FirstOrDefault(h => h.Name == name);
}
