namespace NetSpec.Runtime.Graph;

/// <summary>
/// The values of a graph being built, by index, with a name index: data, parameters, then one
/// slot per node output. Shapes of node outputs are filled in by <see cref="ShapeInference"/>.
/// </summary>
internal sealed class ValueTable
{
    private readonly List<GraphValue> _values = [];
    private readonly Dictionary<string, int> _byName = new(StringComparer.Ordinal);

    public int Count => _values.Count;

    public GraphValue this[int index]
    {
        get => _values[index];
        set => _values[index] = value;
    }

    public IReadOnlyList<GraphValue> All => _values;

    /// <summary>Every name declared, for "did you mean" suggestions.</summary>
    public IEnumerable<string> Names => _byName.Keys;

    public bool TryFind(string name, out int index) => _byName.TryGetValue(name, out index);

    /// <summary>Adds a value at the next index (<see cref="Count"/>). A name declared twice binds to the later value.</summary>
    public void Add(GraphValue v)
    {
        if (v.Index != _values.Count) throw new ArgumentException($"value '{v.Name}' has index {v.Index}, not the next one ({_values.Count})", nameof(v));
        _byName[v.Name] = v.Index;
        _values.Add(v);
    }
}
