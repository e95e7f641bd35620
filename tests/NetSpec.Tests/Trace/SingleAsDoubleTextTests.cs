using System.Globalization;
using System.Text;
using NetSpec.Runtime.Trace;

namespace NetSpec.Tests.Trace;

/// <summary>
/// The JSON trace's float32 numbers: the same bytes as <c>double.TryFormat</c> of the float64 of
/// the value (the reference, .NET's shortest round-trip formatting), for random bit patterns
/// over every exponent and for the edges of the fast path.
/// </summary>
[TestClass]
public sealed class SingleAsDoubleTextTests
{
    private static string Reference(float f) => ((double)f).ToString(CultureInfo.InvariantCulture);

    private static string Fast(float f)
    {
        var buffer = new byte[32];
        return Encoding.ASCII.GetString(buffer, 0, SingleAsDoubleText.Format(f, buffer));
    }

    [TestMethod]
    public void RandomBitPatternsMatchDoubleFormatting()
    {
        var rng = new Random(14);
        int fast = 0;
        var buffer = new byte[32];
        for (int i = 0; i < 2_000_000; i++)
        {
            float f = BitConverter.UInt32BitsToSingle((uint)rng.NextInt64(0, 1L << 32));
            if (!float.IsFinite(f)) continue;
            if (SingleAsDoubleText.TryFast(f, buffer, out _)) fast++;
            Assert.AreEqual(Reference(f), Fast(f), $"bits 0x{BitConverter.SingleToUInt32Bits(f):X8}");
        }
        // The fast path covers magnitudes from about 1e-15 to 1e15: 100 of the 254 exponents.
        Assert.IsTrue(fast > 700_000, $"the fast path took {fast} of 2,000,000");
    }

    [TestMethod]
    public void TraceLikeValuesMatchDoubleFormatting()
    {
        var rng = new Random(7);
        var buffer = new byte[32];
        int fast = 0;
        for (int i = 0; i < 500_000; i++)
        {
            float f = (float)((rng.NextDouble() - 0.5) * Math.Pow(10, rng.Next(-12, 8)));
            if (SingleAsDoubleText.TryFast(f, buffer, out _)) fast++;
            Assert.AreEqual(Reference(f), Fast(f), $"bits 0x{BitConverter.SingleToUInt32Bits(f):X8}");
        }
        Assert.IsTrue(fast > 495_000, $"the fast path took {fast} of 500,000"); // weights, activations, gradients
    }

    [TestMethod]
    [DataRow(0f)]
    [DataRow(-0f)]
    [DataRow(1f)]
    [DataRow(-1f)]
    [DataRow(0.1f)]
    [DataRow(0.5f)]
    [DataRow(1e-5f)]
    [DataRow(1.5e-5f)]
    [DataRow(0.0001f)]
    [DataRow(1e14f)]
    [DataRow(1e15f)]
    [DataRow(123456789f)]
    [DataRow(16777216f)]
    [DataRow(float.Epsilon)]
    [DataRow(float.MaxValue)]
    [DataRow(float.MinValue)]
    [DataRow(1.17549435e-38f)]
    [DataRow(3.3127464e-05f)]
    public void EdgesMatchDoubleFormatting(float f) => Assert.AreEqual(Reference(f), Fast(f));

    [TestMethod]
    public void EveryPowerOfTwoAndItsNeighboursMatch()
    {
        for (int e = 1; e < 255; e++)
            foreach (int d in new[] { -1, 0, 1 })
            {
                uint bits = (uint)(e << 23) + (uint)d;
                float f = BitConverter.UInt32BitsToSingle(bits);
                if (!float.IsFinite(f)) continue;
                Assert.AreEqual(Reference(f), Fast(f), $"bits 0x{bits:X8}");
                Assert.AreEqual(Reference(-f), Fast(-f), $"bits -0x{bits:X8}");
            }
    }
}
