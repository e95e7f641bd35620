using System.Globalization;

namespace NetSpec.Parser.Model;

/// <summary>Number formatting shared by diagnostics and traces: shortest round-trip, invariant.</summary>
public static class Format
{
    public static string Number(double v) =>
        double.IsNaN(v) ? "nan"
        : double.IsPositiveInfinity(v) ? "inf"
        : double.IsNegativeInfinity(v) ? "-inf"
        : v.ToString("R", CultureInfo.InvariantCulture).Replace("E", "e", StringComparison.Ordinal);
}
