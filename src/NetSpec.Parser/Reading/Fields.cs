using NetSpec.Parser.Diagnostics;
using YamlDotNet.RepresentationModel;

namespace NetSpec.Parser.Reading;

/// <summary>
/// The entries of one mapping whose keys were checked against the keys it may have (see
/// <see cref="SpecReader.Fields"/>), in the order written. Knows which keys an unknown key was a
/// misspelling of, so a required key is not reported missing after its misspelling was.
/// </summary>
internal sealed class Fields
{
    private readonly SpecReader _reader;
    private readonly Dictionary<string, Field> _entries;
    private readonly HashSet<string> _misspelled;

    public Fields(SpecReader reader, YamlMappingNode map, Dictionary<string, Field> entries, HashSet<string> misspelled)
    {
        _reader = reader;
        Map = map;
        _entries = entries;
        _misspelled = misspelled;
    }

    /// <summary>The mapping read.</summary>
    public YamlMappingNode Map { get; }

    /// <summary>Where the mapping is written: missing keys are reported here.</summary>
    public SourceSpan Span => _reader.Span(Map);

    /// <summary>The known entries, in the order written.</summary>
    public IEnumerable<KeyValuePair<string, Field>> All => _entries;

    public bool TryGet(string key, out Field field) => _entries.TryGetValue(key, out field);

    public bool Contains(string key) => _entries.ContainsKey(key);

    public bool Remove(string key, out Field field) => _entries.Remove(key, out field);

    /// <summary>Whether an unknown key of this mapping was reported as a misspelling of <paramref name="key"/>.</summary>
    public bool Misspelled(string key) => _misspelled.Contains(key);

    /// <summary>The entry <paramref name="key"/>; when it is missing, reports <paramref name="message"/> (see <see cref="Missing"/>).</summary>
    public bool Require(string key, string message, out Field field)
    {
        if (TryGet(key, out field)) return true;
        Missing(key, message);
        return false;
    }

    /// <summary>Reports that <paramref name="key"/> is missing, unless a misspelling of it was already reported.</summary>
    public void Missing(string key, string message)
    {
        if (!Misspelled(key)) _reader.Error(Codes.MissingField, Span, message);
    }
}
