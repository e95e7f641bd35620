using System.Globalization;
using NetSpec.Parser.Model;

namespace NetSpec.Runtime.Trace;

/// <summary>A one-line description of a tensor: shape, min, max, mean, count of non-finite values, first values.</summary>
public static class Summary
{
    public static string Of(Shape shape, TraceValues v, int first = 4)
    {
        double min = double.PositiveInfinity, max = double.NegativeInfinity, sum = 0;
        int finite = 0, nonFinite = 0;
        if (v.IsSingle)
            foreach (double x in v.Singles) Add(x);
        else
            foreach (double x in v.Doubles) Add(x);
        var head = new List<string>();
        for (int i = 0; i < Math.Min(first, v.Length); i++) head.Add(Format.Number(v[i]));
        string stats = finite == 0 ? "no finite values"
            : string.Create(CultureInfo.InvariantCulture, $"min {Format.Number(min)}, max {Format.Number(max)}, mean {Format.Number(sum / finite)}");
        return $"{shape} {stats}{(nonFinite > 0 ? $", {nonFinite} non-finite" : "")}, first [{string.Join(", ", head)}{(v.Length > first ? ", ..." : "")}]";

        void Add(double x)
        {
            if (!double.IsFinite(x)) { nonFinite++; return; }
            finite++;
            sum += x;
            if (x < min) min = x;
            if (x > max) max = x;
        }
    }
}
