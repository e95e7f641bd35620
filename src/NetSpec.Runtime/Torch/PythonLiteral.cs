using System.Globalization;
using System.Text;

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
            case string s: String(sb, s); break;
            case int or long or ulong: sb.Append(Convert.ToString(value, CultureInfo.InvariantCulture)); break;
            case double d: sb.Append(Number(d)); break;
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
                    String(sb, dict[i].Key);
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

    /// <summary>A double as Python reads it back exactly: shortest round-trip digits, always with a point or an exponent.</summary>
    public static string Number(double d)
    {
        if (double.IsNaN(d)) return "float(\"nan\")";
        if (double.IsInfinity(d)) return d > 0 ? "float(\"inf\")" : "-float(\"inf\")";
        string s = d.ToString("R", CultureInfo.InvariantCulture);
        return s.Contains('.') || s.Contains('E') ? s.Replace("E", "e", StringComparison.Ordinal) : s + ".0";
    }

    /// <summary>A Python string literal in double quotes (UTF-8 text as it is; quotes, backslashes and control characters escaped).</summary>
    public static void String(StringBuilder sb, string s)
    {
        sb.Append('"');
        foreach (char c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                default:
                    if (char.IsControl(c)) sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        sb.Append('"');
    }
}
