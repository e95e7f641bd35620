using System.Globalization;
using System.Text;
using NetSpec.Runtime.Training;

namespace NetSpec.Tests.Training;

/// <summary>
/// The data loader's fast path for short decimal cells ("16", "-0.0625"): where it takes a cell,
/// the same double bit for bit as .NET's parser (the reference, which CsvHelper uses too), for
/// random cells of every length up to 15 digits and every point position, and the edges; anything
/// else is left to the parser.
/// </summary>
[TestClass]
public sealed class DataCellParsingTests
{
    private static ulong Bits(double v) => BitConverter.DoubleToUInt64Bits(v);

    [TestMethod]
    public void RandomShortDecimalsParseAsTheDoubleParserDoes()
    {
        var rng = new Random(65);
        var sb = new StringBuilder();
        int taken = 0;
        for (int i = 0; i < 300_000; i++)
        {
            sb.Clear();
            if (rng.Next(3) == 0) sb.Append('-');
            int digits = rng.Next(1, 17);
            int point = rng.Next(-1, digits + 1); // -1: none
            for (int d = 0; d < digits; d++)
            {
                if (d == point) sb.Append('.');
                sb.Append((char)('0' + rng.Next(10)));
            }
            if (point == digits) sb.Append('.');
            string text = sb.ToString();
            if (!DatasetLoader.ShortDecimal(Encoding.ASCII.GetBytes(text), out double fast)) continue;
            taken++;
            double reference = double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
            Assert.AreEqual(Bits(reference), Bits(fast), text);
        }
        Assert.IsGreaterThan(250_000, taken, $"the fast path took {taken} of 300,000");
    }

    [TestMethod]
    [DataRow("0", true)]
    [DataRow("-0", true)]
    [DataRow("16", true)]
    [DataRow("0.0625", true)]
    [DataRow("-.5", true)]
    [DataRow("5.", true)]
    [DataRow("007", true)]
    [DataRow("999999999999999", true)]
    [DataRow("0.000000000000001", false)] // 16 digits: the parser's
    [DataRow("1234567890123456", false)]
    [DataRow("", false)]
    [DataRow("-", false)]
    [DataRow(".", false)]
    [DataRow("+1", false)]
    [DataRow("1e5", false)]
    [DataRow("1.2.3", false)]
    [DataRow(" 1", false)]
    [DataRow("1,000", false)]
    [DataRow("NaN", false)]
    public void EdgesAreTakenOrLeftToTheParser(string text, bool taken)
    {
        Assert.AreEqual(taken, DatasetLoader.ShortDecimal(Encoding.ASCII.GetBytes(text), out double v), text);
        if (taken) Assert.AreEqual(Bits(double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture)), Bits(v), text);
    }
}
