using System.Globalization;

namespace NetSpec.Runtime.Ops;

/// <summary>The type of an op's attribute, as written in a spec.</summary>
public enum AttributeType
{
    /// <summary>A real number, or a hyperparameter's name (<c>lambda: lambda</c>).</summary>
    Number,

    /// <summary>A whole number, or a hyperparameter's name whose value is whole (<c>axis: -1</c>).</summary>
    Integer,

    /// <summary>A list of whole numbers (<c>perm: [0, 2, 1]</c>).</summary>
    IntegerList,

    /// <summary>One word from a fixed list (<c>reduction: mean</c>).</summary>
    Enum,

    /// <summary>true or false; 0 and 1 are accepted too (<c>trans_b: 1</c>, as ONNX writes it).</summary>
    Flag,
}

/// <summary>
/// One typed attribute of an op: its name in YAML, its type, its default (null: required), the
/// range a number or whole number must lie in, the words an enum takes, and what it means. The
/// graph builder reads and checks every attribute against this before anything runs.
/// </summary>
public sealed record AttributeSpec(string Name, AttributeType Type, string Doc)
{
    /// <summary>The value used when a node omits it; null when the attribute is required.</summary>
    public AttributeValue? Default { get; init; }

    /// <summary>Smallest allowed value (inclusive) of a number or whole number, or of each list element.</summary>
    public double? Min { get; init; }

    /// <summary>Largest allowed value (inclusive).</summary>
    public double? Max { get; init; }

    /// <summary>The words an <see cref="AttributeType.Enum"/> takes.</summary>
    public IReadOnlyList<string> Choices { get; init; } = [];

    /// <summary>
    /// Whether a node's expression in the trace and graph shows the attribute while it has its
    /// default value (gemm's <c>trans_b = 0</c>). False for an attribute whose default is the
    /// op's usual form, such as softmax's <c>axis</c> -1: <c>softmax(v)</c>, not
    /// <c>softmax(v, axis = -1)</c>.
    /// </summary>
    public bool ShowDefault { get; init; } = true;

    /// <summary>Whether <paramref name="v"/> is this attribute's default value.</summary>
    public bool IsDefault(AttributeValue v) => Default is { } d && v is not null && d.ToString() == v.ToString();

    public static AttributeSpec Number(string name, string doc, double? @default = null, double? min = null, double? max = null) =>
        new(name, AttributeType.Number, doc) { Default = @default is { } d ? AttributeValue.Of(d) : null, Min = min, Max = max };

    public static AttributeSpec Integer(string name, string doc, long? @default = null, long? min = null, long? max = null) =>
        new(name, AttributeType.Integer, doc) { Default = @default is { } d ? AttributeValue.Of(d) : null, Min = min, Max = max };

    public static AttributeSpec Integers(string name, string doc, long[]? @default = null, long? min = null, long? max = null) =>
        new(name, AttributeType.IntegerList, doc) { Default = @default is { } d ? AttributeValue.Of(d) : null, Min = min, Max = max };

    public static AttributeSpec Enum(string name, string doc, string @default, params string[] choices) =>
        new(name, AttributeType.Enum, doc) { Default = AttributeValue.Of(@default), Choices = choices };

    public static AttributeSpec Flag(string name, string doc, bool @default) =>
        new(name, AttributeType.Flag, doc) { Default = AttributeValue.Of(@default) };

    /// <summary>"number", "integer >= 0", "integer list", "one of mean, sum, none", "flag".</summary>
    public string TypeText => Type switch
    {
        AttributeType.Number => "number" + RangeText,
        AttributeType.Integer => "integer" + RangeText,
        AttributeType.IntegerList => "integer list" + RangeText,
        AttributeType.Enum => "one of " + string.Join(", ", Choices),
        _ => "flag",
    };

    /// <summary>" >= 0", " in [0, 1]" or "".</summary>
    public string RangeText => (Min, Max) switch
    {
        ({ } lo, { } hi) => $" in [{Num(lo)}, {Num(hi)}]",
        ({ } lo, null) => $" >= {Num(lo)}",
        (null, { } hi) => $" <= {Num(hi)}",
        _ => "",
    };

    /// <summary>
    /// Null when <paramref name="v"/> is allowed, else what it must be ("a finite number >= 0"),
    /// for a message "attribute 'lambda' of node 'S' must be a finite number >= 0, not -1".
    /// The value's kind already matches <see cref="Type"/> (the builder converts it).
    /// </summary>
    public string? Check(AttributeValue v)
    {
        switch (Type)
        {
            case AttributeType.Number:
                return !double.IsFinite(v.Number) || Min is { } lo && v.Number < lo || Max is { } hi && v.Number > hi
                    ? "a finite number" + RangeText : null;
            case AttributeType.Integer:
                if (!double.IsFinite(v.Number) || v.Number != Math.Floor(v.Number) || Min is { } ilo && v.Number < ilo || Max is { } ihi && v.Number > ihi)
                    return "a whole number" + RangeText;
                // Ops read whole numbers as 32-bit integers (sizes, axes, indices).
                return v.Number < int.MinValue || v.Number > int.MaxValue ? $"a whole number from {int.MinValue} to {int.MaxValue}" : null;
            case AttributeType.IntegerList:
                foreach (var x in v.Integers)
                {
                    if (Min is { } lo2 && x < lo2 || Max is { } hi2 && x > hi2)
                        return "a list of whole numbers" + (RangeText.Length > 0 ? ", each" + RangeText : "");
                    if (x < int.MinValue || x > int.MaxValue) return $"a list of whole numbers, each from {int.MinValue} to {int.MaxValue}";
                }
                return null;
            case AttributeType.Enum:
                return Choices.Contains(v.Text, StringComparer.Ordinal) ? null : "one of " + string.Join(", ", Choices);
            default:
                return null;
        }
    }

    private static string Num(double x) => x.ToString("R", CultureInfo.InvariantCulture);
}

/// <summary>
/// An attribute's value: a number (Number, Integer and Flag, a flag being 0 or 1), a list of
/// whole numbers, or an enum's word.
/// </summary>
public sealed record AttributeValue
{
    private AttributeValue(double number, long[]? integers, string? text)
    {
        Number = number;
        Integers = integers ?? [];
        IsList = integers is not null;
        Text = text ?? "";
    }

    /// <summary>Whether the value is a list of whole numbers (an empty list included).</summary>
    public bool IsList { get; }

    public double Number { get; }
    public IReadOnlyList<long> Integers { get; }
    public string Text { get; }

    public static AttributeValue Of(double x) => new(x, null, null);
    public static AttributeValue Of(long x) => new(x, null, null);
    public static AttributeValue Of(bool x) => new(x ? 1 : 0, null, null);
    public static AttributeValue Of(long[] xs) => new(0, (long[])xs.Clone(), null);
    public static AttributeValue Of(string word) => new(0, null, word);

    /// <summary>How the value prints in a trace or a message: "0.1", "[0, 2, 1]", "[]", "mean".</summary>
    public override string ToString() =>
        Text.Length > 0 ? Text
        : IsList ? "[" + string.Join(", ", Integers) + "]"
        : Number.ToString("R", CultureInfo.InvariantCulture);
}

/// <summary>A node's attribute values, in the order of its op's <see cref="Op.Attributes"/>.</summary>
public sealed class AttributeValues
{
    private readonly AttributeValue[] _values;

    public AttributeValues(IReadOnlyList<AttributeValue> values) => _values = [.. values];

    public static AttributeValues Empty { get; } = new([]);

    public int Count => _values.Length;

    public AttributeValue this[int i] => _values[i];

    /// <summary>Attribute <paramref name="i"/> as a real number.</summary>
    public double Number(int i) => _values[i].Number;

    /// <summary>Attribute <paramref name="i"/> as a whole number.</summary>
    public int Integer(int i) => checked((int)_values[i].Number);

    /// <summary>Attribute <paramref name="i"/> as true or false.</summary>
    public bool Flag(int i) => _values[i].Number != 0;

    /// <summary>Attribute <paramref name="i"/>'s enum word.</summary>
    public string Choice(int i) => _values[i].Text;

    /// <summary>Attribute <paramref name="i"/> as a list of whole numbers.</summary>
    public int[] Integers(int i) => [.. _values[i].Integers.Select(x => checked((int)x))];
}
