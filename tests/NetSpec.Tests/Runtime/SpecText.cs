using System.Globalization;
using NetSpec.Runtime;

namespace NetSpec.Tests.Runtime;

/// <summary>Builds small specs in code for op tests.</summary>
internal static class SpecText
{
    public static string Matrix(double[,] m) =>
        "[" + string.Join(", ", Enumerable.Range(0, m.GetLength(0)).Select(r =>
            "[" + string.Join(", ", Enumerable.Range(0, m.GetLength(1)).Select(c => m[r, c].ToString("R", CultureInfo.InvariantCulture))) + "]")) + "]";

    public static string Vector(double[] v) =>
        "[" + string.Join(", ", v.Select(x => x.ToString("R", CultureInfo.InvariantCulture))) + "]";

    public static double[,] Random(Random rng, int rows, int cols, double scale = 1, double awayFromZero = 0)
    {
        var m = new double[rows, cols];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
            {
                double x = (rng.NextDouble() * 2 - 1) * scale;
                if (Math.Abs(x) < awayFromZero) x = Math.CopySign(awayFromZero + Math.Abs(x), x);
                m[r, c] = x;
            }
        return m;
    }

    public static LoadedSpec Load(string yaml)
    {
        var loaded = NetSpecEngine.LoadText("test.yaml", yaml);
        Assert.IsTrue(loaded.Ok, string.Join("\n", loaded.Diagnostics.Items) + "\n" + yaml);
        return loaded;
    }
}
