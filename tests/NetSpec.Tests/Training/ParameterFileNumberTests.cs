using System.Numerics;
using System.Text.Json;
using NetSpec.Runtime.Training;

namespace NetSpec.Tests.Training;

/// <summary>
/// The numbers of a parameters file or checkpoint: a large tensor's are formatted in two halves at
/// once (<see cref="ParameterFile.WriteNumbers{T}"/>), float32 numbers by NetSpec's own formatter,
/// and the bytes must be those of one JSON writer writing every number in turn, for float32 and float64, at and around the size where the
/// halves start, over values of every magnitude (subnormals, extremes, signed zeros).
/// </summary>
[TestClass]
public sealed class ParameterFileNumberTests
{
    [TestMethod]
    public void HalvesWriteTheBytesOfOneWriter()
    {
        foreach (int n in new[] { 0, 1, 7, ParameterFile.HalvesFrom - 1, ParameterFile.HalvesFrom, ParameterFile.HalvesFrom + 1, 3 * ParameterFile.HalvesFrom + 7 })
        {
            var rng = new Random(n);
            var doubles = new double[n];
            var floats = new float[n];
            for (int i = 0; i < n; i++)
            {
                doubles[i] = Finite(rng, i, bits => BitConverter.Int64BitsToDouble(bits), double.IsFinite);
                floats[i] = Finite(rng, i, bits => BitConverter.Int32BitsToSingle((int)bits), float.IsFinite);
            }
            Assert.AreEqual(OneWriter<double>(doubles), Written<double>(doubles), $"float64, {n} numbers");
            Assert.AreEqual(OneWriter<float>(floats), Written<float>(floats), $"float32, {n} numbers");
            Assert.AreEqual(OneWriter<double>(doubles), Written<double>(doubles, split: false), $"float64, {n} numbers, one thread");
            Assert.AreEqual(OneWriter<float>(floats), Written<float>(floats, split: false), $"float32, {n} numbers, one thread");
        }
    }

    /// <summary>Special values at fixed places, random bit patterns (finite ones) elsewhere.</summary>
    private static T Finite<T>(Random rng, int i, Func<long, T> fromBits, Func<T, bool> finite) where T : IFloatingPointIeee754<T>
    {
        T[] special = [T.Zero, T.NegativeZero, T.Epsilon, -T.Epsilon, T.One, -T.One, T.CreateTruncating(0.1), T.CreateTruncating(1e-7), T.CreateTruncating(123456.789)];
        if (i < special.Length) return special[i];
        while (true)
        {
            var v = fromBits(rng.NextInt64());
            if (finite(v)) return v;
        }
    }

    private static string Written<T>(T[] values, bool split = true) where T : unmanaged, IFloatingPointIeee754<T>
    {
        using var s = new MemoryStream();
        using (var w = new Utf8JsonWriter(s))
        {
            w.WriteStartObject();
            ParameterFile.WriteNumbers<T>(w, "values", values, split);
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(s.ToArray());
    }

    /// <summary>The reference: each number written by the writer itself, one after another.</summary>
    private static string OneWriter<T>(T[] values) where T : unmanaged, IFloatingPointIeee754<T>
    {
        using var s = new MemoryStream();
        using (var w = new Utf8JsonWriter(s))
        {
            w.WriteStartObject();
            w.WriteStartArray("values");
            foreach (var v in values)
            {
                if (typeof(T) == typeof(float)) w.WriteNumberValue(float.CreateTruncating(v));
                else w.WriteNumberValue(double.CreateTruncating(v));
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(s.ToArray());
    }
}
