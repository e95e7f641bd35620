using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace NetSpec.Runtime.Ops;

/// <summary>
/// The op part of the JSON Schema of the spec format, generated from the op definitions:
/// <c>#/$defs/opName</c> (the enum of op names) and <c>#/$defs/node</c> (one if/then rule per
/// op: its input slots, its typed attributes with ranges, required keys, nothing else). The
/// rest of the schema is hand-written; <see cref="Merge"/> puts the generated part into it and
/// writes the whole deterministically (two-space indent, "\n" line ends, no needless escapes).
/// </summary>
public static class OpSchema
{
    /// <summary>The $defs entries this class writes.</summary>
    public static readonly string[] GeneratedDefs = ["node", "opName"];

    /// <summary>
    /// The schema <paramref name="schemaText"/> with its <c>$defs/node</c> and <c>$defs/opName</c>
    /// replaced by the ones generated from <paramref name="ops"/> (in place when present, so the
    /// order of the hand-written definitions stays); ends with a newline.
    /// </summary>
    public static string Merge(string schemaText, IEnumerable<Op> ops)
    {
        ArgumentNullException.ThrowIfNull(schemaText);
        var root = JsonNode.Parse(schemaText)?.AsObject() ?? throw new InvalidDataException("the schema is not a JSON object");
        if (root["$defs"] is not JsonObject defs) root["$defs"] = defs = [];
        var list = ops.ToList();
        defs["node"] = NodeDef(list);
        defs["opName"] = OpNameDef(list);
        return Write(root);
    }

    /// <summary><c>#/$defs/opName</c>: the enum of op names, in registry order.</summary>
    public static JsonObject OpNameDef(IEnumerable<Op> ops) => new()
    {
        ["enum"] = Strings(ops.Select(o => o.Name)),
        ["description"] = "The op the node applies (netspec ops lists them)",
    };

    /// <summary><c>#/$defs/node</c>: a node's shape in general, then one rule per op.</summary>
    public static JsonObject NodeDef(IEnumerable<Op> ops) => new()
    {
        ["type"] = "object",
        ["description"] = "A node: an op applied to named inputs, with attributes",
        ["properties"] = new JsonObject { ["op"] = new JsonObject { ["$ref"] = "#/$defs/opName" } },
        ["required"] = Strings(["op"]),
        ["allOf"] = new JsonArray([.. ops.Select(Rule)]),
    };

    /// <summary>One op's rule: if <c>op</c> is its name, then exactly its inputs and attributes.</summary>
    public static JsonObject Rule(Op op)
    {
        ArgumentNullException.ThrowIfNull(op);
        var props = new JsonObject { ["op"] = new JsonObject { ["const"] = op.Name } };
        foreach (var s in op.Inputs)
            props[s.Name] = new JsonObject { ["$ref"] = s.IsList ? "#/$defs/nameList" : "#/$defs/name", ["description"] = OpCatalog.InputText(s) };
        foreach (var a in op.Attributes) props[a.Name] = Attribute(a);
        var required = op.Inputs.Where(s => !s.Optional).Select(s => s.Name).Concat(op.Attributes.Where(a => a.Default is null).Select(a => a.Name));
        return new JsonObject
        {
            ["if"] = new JsonObject
            {
                ["properties"] = new JsonObject { ["op"] = new JsonObject { ["const"] = op.Name } },
                ["required"] = Strings(["op"]),
            },
            ["then"] = new JsonObject
            {
                ["description"] = $"{op.Name}: {op.Summary} Forward: {op.Formula}",
                ["properties"] = props,
                ["required"] = Strings(required),
                ["additionalProperties"] = false,
            },
        };
    }

    /// <summary>
    /// An attribute's schema by its type: a number or a hyperparameter's name; a whole number or
    /// a name; a list of whole numbers or one; one of the enum's words; a boolean or 0 or 1.
    /// Ranges become minimum and maximum.
    /// </summary>
    public static JsonObject Attribute(AttributeSpec a)
    {
        ArgumentNullException.ThrowIfNull(a);
        string description = $"{a.Doc} ({a.TypeText}, {OpCatalog.DefaultText(a)})";
        return a.Type switch
        {
            AttributeType.Number => new JsonObject
            {
                ["description"] = description,
                ["anyOf"] = new JsonArray(Ranged("number", a), HyperparameterName()),
            },
            AttributeType.Integer => new JsonObject
            {
                ["description"] = description,
                ["anyOf"] = new JsonArray(Ranged("integer", a), HyperparameterName()),
            },
            AttributeType.IntegerList => new JsonObject
            {
                ["description"] = description,
                ["anyOf"] = new JsonArray(new JsonObject { ["type"] = "array", ["items"] = Ranged("integer", a) }, Ranged("integer", a)),
            },
            AttributeType.Enum => new JsonObject
            {
                ["description"] = description,
                ["enum"] = Strings(a.Choices),
            },
            _ => new JsonObject
            {
                ["description"] = description,
                ["anyOf"] = new JsonArray(new JsonObject { ["type"] = "boolean" }, new JsonObject { ["enum"] = new JsonArray(0, 1) }),
            },
        };
    }

    private static JsonObject Ranged(string type, AttributeSpec a)
    {
        var o = new JsonObject { ["type"] = type };
        if (a.Min is { } lo) o["minimum"] = Number(lo);
        if (a.Max is { } hi) o["maximum"] = Number(hi);
        return o;
    }

    private static JsonObject HyperparameterName() => new() { ["type"] = "string", ["description"] = "a hyperparameter's name" };

    /// <summary>A whole number as an integer (0, not 0.0), anything else in shortest round-trip form.</summary>
    private static JsonNode Number(double x) =>
        x == Math.Floor(x) && Math.Abs(x) < 1e15 ? JsonValue.Create((long)x) : JsonValue.Create(x);

    private static JsonArray Strings(IEnumerable<string> xs) => new([.. xs.Select(x => (JsonNode)JsonValue.Create(x))]);

    /// <summary>
    /// The JSON text of <paramref name="node"/>: two-space indent, "\n" line ends, non-ASCII
    /// characters as themselves, a final newline. The same input gives the same bytes.
    /// </summary>
    public static string Write(JsonNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions
        {
            Indented = true,
            IndentSize = 2,
            NewLine = "\n",
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        }))
        {
            node.WriteTo(writer);
        }
        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }
}
