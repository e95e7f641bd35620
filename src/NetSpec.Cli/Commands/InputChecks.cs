using System.CommandLine;
using System.Globalization;
using System.Numerics;

namespace NetSpec.Cli.Commands;

/// <summary>
/// The command-line checks every command shares, run by System.CommandLine's parse (so a
/// failure is a parse error: one line each and exit 64): no argument or option given as an
/// empty string, and every number option within its range.
/// </summary>
internal static class InputChecks
{
    /// <summary>Refuses an empty value for every string argument and option of <paramref name="root"/> and its subcommands.</summary>
    public static void RefuseEmptyStrings(Command root)
    {
        foreach (var argument in root.Arguments)
        {
            if (!IsString(argument.ValueType)) continue;
            string label = $"the <{argument.Name}> argument of '{root.Name}'";
            argument.Validators.Add(r =>
            {
                if (r.Tokens.Any(t => t.Value.Length == 0)) r.AddError($"{label} is empty: an empty path names no file");
            });
        }
        foreach (var option in root.Options)
        {
            if (!IsString(option.ValueType)) continue;
            string label = option.Name;
            option.Validators.Add(r =>
            {
                if (r.Tokens.Any(t => t.Value.Length == 0)) r.AddError($"{label} is empty: an empty path names no file");
            });
        }
        foreach (var sub in root.Subcommands) RefuseEmptyStrings(sub);
    }

    private static bool IsString(Type t) => t == typeof(string) || t == typeof(string[]);

    /// <summary>Accepts only values from <paramref name="min"/> to <paramref name="max"/> (NaN never).</summary>
    public static Option<T> Between<T>(this Option<T> option, T min, T max) where T : INumber<T> =>
        option.Accepting(v => v >= min && v <= max, $"between {Text(min)} and {Text(max)}");

    /// <summary>Accepts only values <paramref name="ok"/> allows; the error names the option, <paramref name="allowed"/> and the value.</summary>
    public static Option<T> Accepting<T>(this Option<T> option, Func<T, bool> ok, string allowed) where T : INumber<T>
    {
        option.Validators.Add(r =>
        {
            var v = r.GetValueOrDefault<T>();
            if (!ok(v)) r.AddError($"{option.Name} must be {allowed}, not {Text(v)}");
        });
        return option;
    }

    private static string Text<T>(T v) where T : INumber<T> => v.ToString(null, CultureInfo.InvariantCulture);
}
