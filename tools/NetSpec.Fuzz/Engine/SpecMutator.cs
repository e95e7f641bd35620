using System.Text;
using System.Text.RegularExpressions;
using NetSpec.Runtime.Ops;

namespace NetSpec.Fuzz;

/// <summary>
/// Seeded mutations of spec text: delete, duplicate and swap lines; change numbers, names and
/// indentation; truncate; insert odd characters and YAML constructs (flow brackets, anchors,
/// aliases, tags, tabs, NUL, unicode). The same seed and input give the same mutant.
/// </summary>
internal static partial class SpecMutator
{
    private static readonly string[] Numbers =
        ["0", "-1", "1", "2.5", "-0", "1e308", "-1e308", "1e309", "1e-320", ".nan", ".inf", "-.inf", "3", "7",
         "1000000000", "2147483648", "99999999999999999999", "0x10", "1_000", "1e", "--1", "0.0000001", "65536", "46341"];

    /// <summary>Names a mutation writes: keys, value names, odd words, and every op's name, slots and attributes (from the registry).</summary>
    private static readonly string[] Names =
    [
        .. new[]
        {
            "", "op", "null", "~", "true", "x", "W", "b", "z", "J", "L", "h", "o", "y", "lambda", "alpha",
            "from", "grad", "value", "tolerance", "steps", "ü", "名前", "a b", "_", "x1", "1x",
            "network", "data", "parameters", "expect", "forward", "gradients", "updated", "init", "shape", "seed",
        }
        .Concat(OpRegistry.All.SelectMany(o => o.Inputs.Select(s => s.Name).Concat(o.Attributes.Select(a => a.Name)).Prepend(o.Name)))
        .Distinct(StringComparer.Ordinal),
    ];

    private static readonly string[] Odd =
        ["[", "]", "{", "}", ",", ":", ": ", "- ", "? ", "&a ", "*a", "*a ", "!tag ", "!!str ", "!!python/object ", "\t", "\0",
         "\"", "'", "#", "|", ">", "%", "@", "`", "é", "💥", "\u202e", "\u00a0", "\ufeff", "\r", "\n", "\\", "<<: *a",
         "---\n", "...\n", "%YAML 1.2\n", "&a [1, 2] ", "[[[[[[[[", "{{{{", "\u0085", "\u2028", "\x01", "\x7f"];

    private static readonly string[] Values =
        ["[]", "{}", "", "~", "[[1, 2], [3]]", "[1, [2]]", "[[[1]]]", "&a [1, 2]", "*a", "!!str 5", "!tag x", "'quoted'",
         "\"dq\"", "|\n  block", "[1, 2", "{a: 1", "[1, 2]", "[[1, 2], [3, 4]]", "{op: relu, x: z}", "{op: sum, inputs: []}",
         "{init: zeros, shape: [2, 3]}", "{init: normal, shape: [65536, 65536]}", "{value: [1], step: 2}", "[a, b]", "5", "-5",
         "abc", "1e309", ".nan", "{from: J, grad: [1]}", .. OpRegistry.All.Select(o => o.Example)];

    [GeneratedRegex(@"-?\d+(\.\d+)?([eE][-+]?\d+)?")]
    private static partial Regex NumberPattern();

    [GeneratedRegex(@"[A-Za-z_][A-Za-z0-9_]*")]
    private static partial Regex NamePattern();

    /// <summary>One to three mutations of <paramref name="text"/>, drawn from <paramref name="rng"/>.</summary>
    public static string Mutate(string text, Random rng)
    {
        int count = 1 + rng.Next(3);
        for (int i = 0; i < count; i++) text = MutateOnce(text, rng);
        return text;
    }

    private static string MutateOnce(string text, Random rng)
    {
        var lines = new List<string>(text.Split('\n'));
        int Pick() => rng.Next(lines.Count);
        switch (rng.Next(11))
        {
            case 0: // delete a line
                if (lines.Count > 1) lines.RemoveAt(Pick());
                return string.Join('\n', lines);
            case 1: // duplicate a line
            {
                int i = Pick();
                lines.Insert(i, lines[i]);
                return string.Join('\n', lines);
            }
            case 2: // swap two lines
            {
                int i = Pick(), j = Pick();
                (lines[i], lines[j]) = (lines[j], lines[i]);
                return string.Join('\n', lines);
            }
            case 3: // change a number
                return ReplaceMatch(text, NumberPattern(), rng, _ => Numbers[rng.Next(Numbers.Length)]);
            case 4: // change a name: to another name of the text, a listed name, or a typo
            {
                var names = NamePattern().Matches(text);
                return ReplaceMatch(text, NamePattern(), rng, m => rng.Next(3) switch
                {
                    0 when names.Count > 0 => names[rng.Next(names.Count)].Value,
                    1 => Typo(m, rng),
                    _ => Names[rng.Next(Names.Length)],
                });
            }
            case 5: // change indentation
            {
                int i = Pick();
                string line = lines[i];
                int indent = line.Length - line.TrimStart(' ').Length;
                lines[i] = rng.Next(3) switch
                {
                    0 => new string(' ', 1 + rng.Next(4)) + line,
                    1 => line[Math.Min(indent, 1 + rng.Next(4))..],
                    _ => "\t" + line.TrimStart(' '),
                };
                return string.Join('\n', lines);
            }
            case 6: // truncate
                return text[..rng.Next(text.Length + 1)];
            case 7: // insert an odd character or construct anywhere
            case 8:
            {
                int at = rng.Next(text.Length + 1);
                return text.Insert(at, Odd[rng.Next(Odd.Length)]);
            }
            case 9: // replace the value after a key
            {
                int i = Pick();
                int colon = lines[i].IndexOf(": ", StringComparison.Ordinal);
                if (colon < 0) return text;
                lines[i] = lines[i][..(colon + 2)] + Values[rng.Next(Values.Length)];
                return string.Join('\n', lines);
            }
            default: // insert a line of another part of the text at another place
            {
                int i = Pick(), j = Pick();
                lines.Insert(j, lines[i]);
                return string.Join('\n', lines);
            }
        }
    }

    private static string ReplaceMatch(string text, Regex pattern, Random rng, Func<string, string> replacement)
    {
        var matches = pattern.Matches(text);
        if (matches.Count == 0) return text;
        var m = matches[rng.Next(matches.Count)];
        return new StringBuilder(text.Length + 16)
            .Append(text, 0, m.Index)
            .Append(replacement(m.Value))
            .Append(text, m.Index + m.Length, text.Length - m.Index - m.Length)
            .ToString();
    }

    private static string Typo(string word, Random rng)
    {
        if (word.Length == 0) return "x";
        var chars = word.ToCharArray().ToList();
        int i = rng.Next(chars.Count);
        switch (rng.Next(3))
        {
            case 0: chars.RemoveAt(i); break;
            case 1: chars.Insert(i, (char)('a' + rng.Next(26))); break;
            default:
                if (chars.Count > 1)
                {
                    int j = Math.Min(i + 1, chars.Count - 1);
                    (chars[i], chars[j]) = (chars[j], chars[i]);
                }
                break;
        }
        return new string([.. chars]);
    }
}
