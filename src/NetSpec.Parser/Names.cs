namespace NetSpec.Parser;

/// <summary>
/// The one rule for the names a spec declares (data, parameters, nodes, hyperparameters), used
/// by the parser and by everything that reads names from elsewhere (a parameters file).
/// </summary>
public static class Names
{
    /// <summary>The longest name accepted, in characters.</summary>
    public const int MaxLength = 128;

    /// <summary>
    /// Whether <paramref name="name"/> is a valid name: 1 to <see cref="MaxLength"/> letters,
    /// digits and '_', starting with a letter or '_'.
    /// </summary>
    public static bool IsValid(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length == 0 || name.Length > MaxLength) return false;
        if (!(char.IsLetter(name[0]) || name[0] == '_')) return false;
        foreach (var ch in name)
            if (!(char.IsLetterOrDigit(ch) || ch == '_')) return false;
        return true;
    }
}
