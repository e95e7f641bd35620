using System.Globalization;
using System.Text;
using System.Text.Json;
using NetSpec.Runtime.Trace;

namespace NetSpec.Tests.Trace;

/// <summary>
/// The float32 text of parameters files and checkpoints: the same bytes as <c>float.TryFormat</c>
/// (the reference, .NET's shortest round-trip formatting of a float32, which a JSON writer
/// writes), for random bit patterns over every exponent, for values like trained weights, and for
/// the edges of the fast path (powers of two, where the interval below is narrower; odd
/// significands, whose interval excludes its ends; the magnitudes where it hands over to .NET).
/// </summary>
[TestClass]
public sealed class SingleTextTests
{
    private static string Reference(float f) => f.ToString(CultureInfo.InvariantCulture);

    private static string Fast(float f)
    {
        var buffer = new byte[32];
        return Encoding.ASCII.GetString(buffer, 0, SingleText.Format(f, buffer));
    }

    [TestMethod]
    public void RandomBitPatternsMatchSingleFormatting()
    {
        var rng = new Random(24);
        int fast = 0;
        var buffer = new byte[32];
        for (int i = 0; i < 2_000_000; i++)
        {
            float f = BitConverter.UInt32BitsToSingle((uint)rng.NextInt64(0, 1L << 32));
            if (!float.IsFinite(f)) continue;
            if (SingleText.TryFast(f, buffer, out _)) fast++;
            Assert.AreEqual(Reference(f), Fast(f), $"bits 0x{BitConverter.SingleToUInt32Bits(f):X8}");
        }
        // The fast path covers magnitudes from about 1e-36 to 1e7: 142 of the 254 exponents.
        Assert.IsGreaterThan(1_050_000, fast, $"the fast path took {fast} of 2,000,000");
    }

    [TestMethod]
    public void WeightLikeValuesMatchSingleFormatting()
    {
        var rng = new Random(8);
        var buffer = new byte[32];
        int fast = 0;
        for (int i = 0; i < 500_000; i++)
        {
            float f = (float)((rng.NextDouble() - 0.5) * Math.Pow(10, rng.Next(-12, 6)));
            if (SingleText.TryFast(f, buffer, out _)) fast++;
            Assert.AreEqual(Reference(f), Fast(f), $"bits 0x{BitConverter.SingleToUInt32Bits(f):X8}");
        }
        Assert.IsGreaterThan(495_000, fast, $"the fast path took {fast} of 500,000");
    }

    [TestMethod]
    [DataRow(0f)]
    [DataRow(-0f)]
    [DataRow(1f)]
    [DataRow(-1f)]
    [DataRow(0.1f)]
    [DataRow(0.3f)]
    [DataRow(0.5f)]
    [DataRow(1e-5f)]
    [DataRow(1.5e-5f)]
    [DataRow(0.0001f)]
    [DataRow(9999999f)]
    [DataRow(1e7f)]
    [DataRow(16777216f)]
    [DataRow(16777215f)]
    [DataRow(123456789f)]
    [DataRow(float.Epsilon)]
    [DataRow(float.MaxValue)]
    [DataRow(float.MinValue)]
    [DataRow(1.17549435e-38f)]
    [DataRow(1e-36f)]
    [DataRow(3.3127464e-05f)]
    [DataRow(2.3509886e-38f)]
    public void EdgesMatchSingleFormatting(float f) => Assert.AreEqual(Reference(f), Fast(f));

    [TestMethod]
    public void EveryPowerOfTwoAndItsNeighboursMatch()
    {
        for (int e = 1; e < 255; e++)
            foreach (int d in new[] { -2, -1, 0, 1, 2 })
            {
                uint bits = (uint)(e << 23) + (uint)d;
                float f = BitConverter.UInt32BitsToSingle(bits);
                if (!float.IsFinite(f)) continue;
                Assert.AreEqual(Reference(f), Fast(f), $"bits 0x{bits:X8}");
                Assert.AreEqual(Reference(-f), Fast(-f), $"bits -0x{bits:X8}");
            }
    }

    [TestMethod]
    public void TheTextReadsBackAsTheSameFloatAndAJsonWriterWritesItToo()
    {
        var rng = new Random(3);
        var buffer = new byte[32];
        using var stream = new MemoryStream();
        for (int i = 0; i < 20_000; i++)
        {
            float f = BitConverter.UInt32BitsToSingle((uint)rng.NextInt64(0, 1L << 32));
            if (!float.IsFinite(f)) continue;
            string text = Encoding.ASCII.GetString(buffer, 0, SingleText.Format(f, buffer));
            Assert.AreEqual(BitConverter.SingleToUInt32Bits(f), BitConverter.SingleToUInt32Bits(float.Parse(text, CultureInfo.InvariantCulture)), text);
            stream.SetLength(0);
            using (var w = new Utf8JsonWriter(stream)) w.WriteNumberValue(f);
            Assert.AreEqual(Encoding.ASCII.GetString(stream.ToArray()), text);
        }
    }
}
