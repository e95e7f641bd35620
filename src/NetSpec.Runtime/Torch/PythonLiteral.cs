using System.Globalization;
using System.Text;
using NetSpec.Runtime.Ops;

namespace NetSpec.Runtime.Torch;

/// <summary>
/// Writes a tree of values as a Python literal for the exported script's <c>CONFIG</c>: an
/// ordered dictionary (<see cref="Dict"/>), lists, strings, numbers (doubles in shortest
/// round-trip form, so the script reads back the very doubles NetSpec uses), True, False, None.
/// The top level and the second level get one entry per line; deeper values stay on one line.
/// </summary>
internal static class PythonLiteral
{
    /// <summary>A dictionary whose keys keep the order they were added in.</summary>
    internal sealed class Dict : List<KeyValuePair<string, object?>>
    {
        public void Add(string key, object? value) => Add(new KeyValuePair<string, object?>(key, value));
    }

    public static string Write(object? value, int indent = 0)
    {
        var sb = new StringBuilder();
        Write(sb, value, indent, depth: 0);
        return sb.ToString();
    }

    private static void Write(StringBuilder sb, object? value, int indent, int depth)
    {
        switch (value)
        {
            case null: sb.Append("None"); break;
            case bool b: sb.Append(b ? "True" : "False"); break;
            case string s: sb.Append(Py.Str(s)); break;
            case int or long or ulong: sb.Append(Convert.ToString(value, CultureInfo.InvariantCulture)); break;
            case double d: sb.Append(Py.Num(d)); break;
            case Dict dict:
                if (dict.Count == 0)
                {
                    sb.Append("{}");
                    break;
                }
                bool multiline = depth < 2;
                sb.Append('{');
                for (int i = 0; i < dict.Count; i++)
                {
                    if (multiline) sb.Append('\n').Append(' ', indent + 4);
                    else if (i > 0) sb.Append(' ');
                    sb.Append(Py.Str(dict[i].Key));
                    sb.Append(": ");
                    Write(sb, dict[i].Value, indent + 4, depth + 1);
                    if (multiline || i < dict.Count - 1) sb.Append(',');
                }
                if (multiline) sb.Append('\n').Append(' ', indent);
                sb.Append('}');
                break;
            case System.Collections.IEnumerable list:
                sb.Append('[');
                bool first = true;
                foreach (var item in list)
                {
                    if (!first) sb.Append(", ");
                    first = false;
                    Write(sb, item, indent, depth + 1);
                }
                sb.Append(']');
                break;
            default:
                throw new ArgumentException($"no Python literal for a {value.GetType().Name}", nameof(value));
        }
    }
}
