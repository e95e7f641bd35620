using System.Globalization;
using NetSpec.Runtime;
using NetSpec.Runtime.Ops;
using Onnx;

namespace NetSpec.Onnx;

/// <summary>A tensor of the ONNX graph as the importer knows it.</summary>
/// <param name="OnnxName">Its ONNX name.</param>
/// <param name="Dims">Its dims (NetSpec's inferred shape for a node output).</param>
/// <param name="ElemType">Its ONNX element type.</param>
/// <param name="Where">What it is, for messages: "graph input 'x'", "initializer 'W'", "output 'y' of node 'n'".</param>
internal sealed record OnnxValue(string OnnxName, int[] Dims, int ElemType, string Where)
{
    /// <summary>Its NetSpec value name, once declared (node outputs have one at once).</summary>
    public string? NetSpec { get; set; }

    /// <summary>The values of a float tensor not yet declared (graph inputs, initializers, Constant nodes).</summary>
    public double[]? Values { get; init; }

    /// <summary>The values of an integer tensor known at import (initializer, Constant node, graph input with test data).</summary>
    public long[]? Integers { get; init; }

    /// <summary>The comment the spec gives it when it is declared.</summary>
    public string? Comment { get; init; }

    /// <summary>A graph input (data) rather than an initializer or constant (a parameter).</summary>
    public bool IsGraphInput { get; init; }

    public bool IsFloat => ElemType is OnnxTensors.Float or OnnxTensors.Double;

    public bool IsInteger => ElemType is OnnxTensors.Int64 or OnnxTensors.Int32;

    public string TypeName => OnnxTensors.TypeName(ElemType);

    public string DimsText => "[" + string.Join(", ", Dims) + "]";
}

/// <summary>Where a NetSpec input of a mapped node comes from.</summary>
internal abstract record InputSource;

/// <summary>A float tensor of the ONNX graph.</summary>
internal sealed record FromTensor(OnnxValue Tensor) : InputSource;

/// <summary>A zero scalar for an optional ONNX input left out (Gemm's C).</summary>
internal sealed record ZeroScalar(string Slot) : InputSource;

/// <summary>One-hot rows (N x classes) of constant integer class labels.</summary>
internal sealed record OneHot(OnnxValue Labels, int Classes) : InputSource;

/// <summary>How one ONNX node becomes NetSpec nodes: the op and form, each input's source, the attributes, the shapes.</summary>
internal sealed record NodePlan(Op Op, OnnxForm Form, IReadOnlyList<(InputSlot Slot, IReadOnlyList<InputSource> Sources)> Inputs,
    AttributeValues Attributes, Shape Output, Op? Then, Shape? ThenOutput);

/// <summary>
/// Maps ONNX nodes onto NetSpec ops by reading the ops' ONNX forms: the op type, the opset
/// range, the fixed attributes (present with their value, or left out when that value is ONNX's
/// default), the attribute mapping with ONNX's defaults, the input order with <c>@attr</c>
/// inputs read as constant integer tensors, optional inputs, one-hot labels and a following
/// op (<see cref="OnnxForm.Then"/>), then the form's <see cref="OnnxForm.ImportCheck"/> hook and
/// the op's own shape rule (<see cref="Op.Setup"/>), which gives the output's shape. The first
/// form of the registry's ops that takes the node wins (linear before gemm); when none does, the
/// refusal gives the reasons of the forms that came closest.
/// </summary>
internal static class OnnxNodeMapper
{
    /// <summary>The ONNX ops that map: every op type in the forms, and Constant (read as a value).</summary>
    public static IReadOnlyList<string> SupportedOps { get; } =
        [.. OpRegistry.All.SelectMany(o => o.OnnxForms).Select(f => f.OpType).Append("Constant").Distinct().Order(StringComparer.Ordinal)];

    private sealed record Failure(int Stage, string Op, string Reason);

    /// <summary>The plan for <paramref name="node"/>, or an <see cref="OnnxImportException"/> saying why no op takes it.</summary>
    public static NodePlan Map(NodeProto node, int opset, Func<string, OnnxValue> tensor, string where)
    {
        var candidates = OpRegistry.All.SelectMany(op => op.OnnxForms.Where(f => f.OpType == node.OpType).Select(f => (op, f))).ToList();
        if (candidates.Count == 0)
            throw new OnnxImportException($"{where}: NetSpec has no op for ONNX '{node.OpType}' (it imports {string.Join(", ", SupportedOps)})");
        var failures = new List<Failure>();
        foreach (var (op, form) in candidates)
        {
            var (plan, failure) = Try(node, opset, op, form, tensor);
            if (plan is not null) return plan;
            failures.Add(failure!);
        }
        int best = failures.Max(f => f.Stage);
        var reasons = failures.Where(f => f.Stage == best).ToList();
        var distinct = reasons.Select(f => f.Reason).Distinct().ToList();
        string text = distinct.Count == 1 ? distinct[0] : string.Join("; ", reasons.Select(f => $"as {f.Op}: {f.Reason}").Distinct());
        throw new OnnxImportException($"{where}: {text}");
    }

    private static (NodePlan?, Failure?) Try(NodeProto node, int opset, Op op, OnnxForm form, Func<string, OnnxValue> tensor)
    {
        (NodePlan?, Failure?) Fail(int stage, string reason) => (null, new Failure(stage, op.Name, reason + (form.Note is { } n && stage == 1 ? $" (NetSpec's {op.Name} imports {n})" : "")));

        // Stages -1 and 0: is this the form at all (opset, fixed attributes)?
        if (opset < form.MinOpset || opset > form.MaxOpset)
            return Fail(-1, $"NetSpec's {op.Name} takes ONNX {form.OpType} from opset {form.MinOpset}{(form.MaxOpset == int.MaxValue ? "" : $" to {form.MaxOpset}")}, and the model's opset is {opset}");
        foreach (var f in form.Fixed)
        {
            var a = node.Attribute.FirstOrDefault(x => x.Name == f.Onnx);
            if (a is null ? !f.IsOnnxDefault : !Matches(a, f.Value))
                return Fail(0, $"{f.Onnx} is {(a is null ? "left out (ONNX's default)" : Text(a))}, but NetSpec's {op.Name} takes {f.Onnx} = {f.Value}");
        }

        // Stage 1: attributes, outputs, inputs, the hook.
        foreach (var a in node.Attribute)
            if (!form.Attributes.Any(m => m.Onnx == a.Name) && !form.Fixed.Any(x => x.Onnx == a.Name) && !form.CheckedAttributes.Contains(a.Name))
                return Fail(1, $"attribute '{a.Name}' is not supported");
        for (int k = 1; k < node.Output.Count; k++)
            if (node.Output[k].Length > 0)
                return Fail(1, $"its output {k + 1} ('{node.Output[k]}') is not supported: NetSpec's ops have one output");

        bool list = op.Inputs.Count == 1 && op.Inputs[0].IsList;
        var slots = form.Inputs ?? [.. op.Inputs.Select(s => s.Name)];
        var onnxInputs = node.Input.ToList();
        var inputs = new List<(InputSlot, IReadOnlyList<InputSource>)>();
        var constants = new Dictionary<string, long[]>(StringComparer.Ordinal);
        var numbers = new Dictionary<string, double>(StringComparer.Ordinal);
        if (list)
        {
            var sources = new List<InputSource>();
            foreach (var name in onnxInputs.Where(i => i.Length > 0))
            {
                if (FloatInput(tensor(name), op) is { } err) return Fail(1, err);
                sources.Add(new FromTensor(tensor(name)));
            }
            if (sources.Count == 0) return Fail(1, $"it has no inputs, and NetSpec's {op.Name} takes at least one");
            inputs.Add((op.Inputs[0], sources));
        }
        else
        {
            for (int k = slots.Count; k < onnxInputs.Count; k++)
                if (onnxInputs[k].Length > 0)
                    return Fail(1, $"its input {k + 1} ('{onnxInputs[k]}') is not supported: NetSpec's {op.Name} takes {string.Join(", ", slots.Where(s => s.Length > 0 && s[0] != '@'))}");
            for (int k = 0; k < slots.Count; k++)
            {
                string slot = slots[k], name = k < onnxInputs.Count ? onnxInputs[k] : "";
                if (slot.Length == 0)
                {
                    if (name.Length > 0) return Fail(1, $"its input {k + 1} ('{name}') is not supported");
                    continue;
                }
                if (slot[0] == '@')
                {
                    if (name.Length == 0) continue;
                    var t = tensor(name);
                    int ai = op.AttributeIndex(slot[1..]);
                    if (t.Integers is { } ints) constants[slot[1..]] = ints;
                    else if (ai >= 0 && op.Attributes[ai].Type == AttributeType.Number)
                    {
                        if (t.IsGraphInput || t.Values is not [var number])
                            return Fail(1, $"its input {k + 1} ({t.Where}) gives {slot[1..]}, which NetSpec reads only from a constant scalar (an initializer or a Constant node of one value)");
                        numbers[slot[1..]] = number;
                    }
                    else if (ai >= 0)
                        return Fail(1, $"its input {k + 1} ({t.Where}) gives {slot[1..]}, which NetSpec reads only from a constant int64 tensor (an initializer, a Constant node, or a graph input with test data)");
                    continue;
                }
                var s = op.Inputs.FirstOrDefault(x => x.Name == slot)
                    ?? throw new InvalidOperationException($"the ONNX form {form.OpType} of op '{op.Name}' names the input '{slot}', which the op does not have");
                if (name.Length == 0 && s.Optional) continue; // the NetSpec node leaves it out too
                if (name.Length == 0)
                {
                    if (!form.OptionalInputs.Contains(slot)) return Fail(1, $"it leaves out input {k + 1}, which NetSpec's {op.Name} needs as {slot}");
                    inputs.Add((s, [new ZeroScalar(slot)]));
                }
                else if (form.OneHotInputs.Contains(slot))
                {
                    var t = tensor(name);
                    if (t.Integers is null)
                        return Fail(1, t.IsInteger
                            ? $"its labels ({t.Where}) are not known at import; NetSpec writes class labels as one-hot data, so they must be an initializer, a Constant node or a graph input with test data"
                            : $"its labels ({t.Where}) have element type {t.TypeName}, not int64 class indices");
                    inputs.Add((s, [new OneHot(t, 0)]));
                }
                else
                {
                    if (FloatInput(tensor(name), op) is { } err) return Fail(1, err);
                    inputs.Add((s, [new FromTensor(tensor(name))]));
                }
            }
        }

        // Attributes: mapped ONNX attributes (or ONNX's default), @attr constants, NetSpec's defaults.
        var values = new AttributeValue[op.Attributes.Count];
        for (int i = 0; i < values.Length; i++)
        {
            var spec = op.Attributes[i];
            AttributeValue? v = null;
            if (form.Attributes.FirstOrDefault(m => m.NetSpec == spec.Name) is { } mapped)
            {
                if (node.Attribute.FirstOrDefault(x => x.Name == mapped.Onnx) is { } a)
                {
                    v = Convert(a, spec.Type);
                    if (v is null) return Fail(1, $"attribute {mapped.Onnx} is {Text(a)}, but NetSpec's {op.Name} takes {spec.Name} as a {spec.TypeText}");
                }
                else v = mapped.OnnxDefault;
            }
            if (constants.TryGetValue(spec.Name, out var c)) v = AttributeValue.Of(c);
            if (numbers.TryGetValue(spec.Name, out var number)) v = AttributeValue.Of(number);
            v ??= spec.Default;
            if (v is null) return Fail(1, $"NetSpec's {op.Name} needs the attribute '{spec.Name}', which ONNX's {form.OpType} does not give");
            if (spec.Check(v) is { } must) return Fail(1, $"NetSpec's {op.Name} takes {spec.Name} {must}, not {v}");
            values[i] = v;
        }
        foreach (var mapped in form.Attributes.Where(m => op.AttributeIndex(m.NetSpec) < 0))
        {
            if (node.Attribute.FirstOrDefault(x => x.Name == mapped.Onnx) is not { } a) continue;
            if (mapped.OnnxDefault is { } d && Matches(a, d)) continue;
            return Fail(1, $"{mapped.Onnx} is {Text(a)}, but NetSpec's {op.Name} has no attribute '{mapped.NetSpec}' yet: it computes ONNX's default{(mapped.OnnxDefault is { } dd ? $" ({mapped.Onnx} = {dd})" : "")} only");
        }
        if (form.ImportCheck is { } check)
        {
            var query = new OnnxImportQuery(opset,
                [.. onnxInputs.Select(i => i.Length == 0 ? null : tensor(i).Dims)],
                name => node.Attribute.FirstOrDefault(x => x.Name == name) is { } a ? Convert(a, null) : null,
                k => k < onnxInputs.Count && onnxInputs[k].Length > 0 ? tensor(onnxInputs[k]).Integers : null);
            if (check(query) is { } reason) return Fail(1, reason);
        }

        // Stage 2: the op's own shape rule, on the shapes NetSpec will see.
        var shapes = new List<Shape>();
        var names = new List<string>();
        for (int k = 0; k < inputs.Count; k++)
        {
            var (slot, sources) = inputs[k];
            for (int j = 0; j < sources.Count; j++)
            {
                switch (sources[j])
                {
                    case FromTensor ft:
                        if (ft.Tensor.Dims.Length > Shape.MaxRank)
                            return Fail(2, $"'{ft.Tensor.OnnxName}' has rank {ft.Tensor.Dims.Length}; NetSpec tensors have at most {Shape.MaxRank} axes");
                        shapes.Add(new Shape(ft.Tensor.Dims));
                        names.Add(ft.Tensor.OnnxName);
                        break;
                    case ZeroScalar z:
                        shapes.Add(Shape.Scalar);
                        names.Add($"(no {z.Slot})");
                        break;
                    case OneHot oh:
                    {
                        var scores = shapes.Count > 0 ? shapes[0] : Shape.Scalar;
                        var labels = oh.Labels.Dims;
                        if (scores.Rank != 2 || labels.Length != 1 || labels[0] != scores[0])
                            return Fail(2, $"its scores are {DimsText(scores.Dims.ToArray())} and its labels '{oh.Labels.OnnxName}' {oh.Labels.DimsText}, but NetSpec's {op.Name} takes N x C scores with N labels (ONNX's N x C x d1 ... puts the classes on axis 1, NetSpec on the last axis)");
                        var classes = scores[1];
                        sources = [.. sources.Take(j), oh with { Classes = classes }, .. sources.Skip(j + 1)];
                        inputs[k] = (slot, sources);
                        shapes.Add(scores);
                        names.Add(oh.Labels.OnnxName);
                        break;
                    }
                }
            }
        }
        var attributes = new AttributeValues(values);
        var result = Setup(op, shapes, names, attributes);
        if (result.Error is { } error) return Fail(2, $"NetSpec's {op.Name} refuses it: {error}");
        Op? then = null;
        Shape? thenShape = null;
        if (form.Then is { } thenName)
        {
            then = OpRegistry.Find(thenName) ?? throw new InvalidOperationException($"the ONNX form {form.OpType} of op '{op.Name}' is followed by the unknown op '{thenName}'");
            var r2 = Setup(then, [result.Shape!], [node.Output[0]], new AttributeValues([.. then.Attributes.Select(a => a.Default!)]));
            if (r2.Error is { } e2) return Fail(2, $"NetSpec's {then.Name} refuses it: {e2}");
            thenShape = r2.Shape;
        }
        return (new NodePlan(op, form, inputs, attributes, result.Shape!, then, thenShape), null);
    }

    private static ShapeResult Setup(Op op, IReadOnlyList<Shape> shapes, IReadOnlyList<string> names, AttributeValues attributes)
    {
        try
        {
            return op.Setup(shapes, names, attributes);
        }
        catch (ArgumentOutOfRangeException e)
        {
            return ShapeResult.Fail(e.Message);
        }
    }

    /// <summary>Null when <paramref name="t"/> can be a float input of a NetSpec op, else why not.</summary>
    private static string? FloatInput(OnnxValue t, Op op) =>
        t.IsFloat ? null
        : $"{t.Where} has element type {t.TypeName}, but NetSpec computes in float32 or float64 (integer tensors only as constant axes or class labels), so its {op.Name} cannot take it";

    private static string DimsText(int[] dims) => "[" + string.Join(", ", dims) + "]";

    /// <summary>An ONNX attribute as a value of NetSpec type <paramref name="type"/> (null: by its ONNX type), or null when it does not convert.</summary>
    internal static AttributeValue? Convert(AttributeProto a, AttributeType? type)
    {
        var kind = a.Type;
        switch (type)
        {
            case AttributeType.Number:
                return kind == AttributeProto.Types.AttributeType.Float ? AttributeValue.Of(Float(a.F))
                    : kind == AttributeProto.Types.AttributeType.Int ? AttributeValue.Of((double)a.I) : null;
            case AttributeType.Integer:
                return kind == AttributeProto.Types.AttributeType.Int ? AttributeValue.Of(a.I) : null;
            case AttributeType.Flag:
                return kind == AttributeProto.Types.AttributeType.Int && a.I is 0 or 1 ? AttributeValue.Of(a.I) : null;
            case AttributeType.IntegerList:
                return kind == AttributeProto.Types.AttributeType.Ints ? AttributeValue.Of(a.Ints.ToArray()) : null;
            case AttributeType.Enum:
                return kind == AttributeProto.Types.AttributeType.String ? AttributeValue.Of(a.S.ToStringUtf8()) : null;
            default:
                return kind switch
                {
                    AttributeProto.Types.AttributeType.Float => AttributeValue.Of(Float(a.F)),
                    AttributeProto.Types.AttributeType.Int => AttributeValue.Of(a.I),
                    AttributeProto.Types.AttributeType.Ints => AttributeValue.Of(a.Ints.ToArray()),
                    AttributeProto.Types.AttributeType.String => AttributeValue.Of(a.S.ToStringUtf8()),
                    _ => null,
                };
        }
    }

    /// <summary>A float attribute as the decimal it was written as (0.1f is 0.1, not 0.10000000149011612).</summary>
    private static double Float(float f) => double.Parse(f.ToString("R", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    /// <summary>Whether ONNX attribute <paramref name="a"/> has the value <paramref name="v"/>.</summary>
    internal static bool Matches(AttributeProto a, AttributeValue v) =>
        Convert(a, null) is { } x && Same(x, v);

    /// <summary>Value equality of attribute values (numbers, lists, words).</summary>
    internal static bool Same(AttributeValue a, AttributeValue b) =>
        a.Number == b.Number && a.Text == b.Text && a.Integers.SequenceEqual(b.Integers);

    /// <summary>An ONNX attribute's value as text: "0", "0.5", "[1, 2]", "'mean'", or its kind.</summary>
    internal static string Text(AttributeProto a) => Convert(a, null) is { } v
        ? (a.Type == AttributeProto.Types.AttributeType.String ? $"'{v.Text}'" : v.ToString())
        : $"a {a.Type.ToString().ToLowerInvariant()}";
}
