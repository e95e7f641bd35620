using NetSpec.Parser.Model;

namespace NetSpec.Runtime.Execution;

/// <summary>
/// Initial parameter values drawn from a seed. fan_in is the number of columns of an out x in
/// weight (the length of a vector); for a convolution's M x C x kH x kW weight it is C · kH · kW
/// and fan_out M · kH · kW, as PyTorch's torch.nn.init computes them.
/// <list type="bullet">
/// <item>zeros, ones, constant (value)</item>
/// <item>uniform (low = -1, high = 1), normal (mean = 0, std = 1)</item>
/// <item>xavier_uniform: U(-a, a), a = sqrt(6 / (fan_in + fan_out))</item>
/// <item>he_normal: N(0, 2 / fan_in)</item>
/// </list>
/// </summary>
public static class Initializers
{
    public static double[] Draw(InitializerDecl init)
    {
        int length = init.Shape.Aggregate(1, (a, b) => a * b);
        int receptive = init.Shape.Skip(2).Aggregate(1, (a, b) => a * b);
        int fanIn = init.Shape.Length >= 2 ? init.Shape[1] * receptive : init.Shape[^1];
        int fanOut = init.Shape[0] * receptive;
        double Opt(string name, double dflt) => init.Options.TryGetValue(name, out var v) ? v.Value : dflt;
        var rng = new Rng(init.Seed);
        var values = new double[length];
        switch (init.Kind.Name)
        {
            case "zeros":
                break;
            case "ones":
                Array.Fill(values, 1.0);
                break;
            case "constant":
                Array.Fill(values, Opt("value", 0));
                break;
            case "uniform":
            {
                double lo = Opt("low", -1), hi = Opt("high", 1);
                for (int i = 0; i < length; i++) values[i] = lo + (hi - lo) * rng.NextDouble();
                break;
            }
            case "normal":
            {
                double mean = Opt("mean", 0), std = Opt("std", 1);
                for (int i = 0; i < length; i++) values[i] = mean + std * rng.NextNormal();
                break;
            }
            case "xavier_uniform":
            {
                double a = Math.Sqrt(6.0 / (fanIn + fanOut));
                for (int i = 0; i < length; i++) values[i] = a * (2 * rng.NextDouble() - 1);
                break;
            }
            case "he_normal":
            {
                double std = Math.Sqrt(2.0 / fanIn);
                for (int i = 0; i < length; i++) values[i] = std * rng.NextNormal();
                break;
            }
            default:
                throw new InvalidOperationException($"initializer '{init.Kind.Name}' passed validation but has no implementation");
        }
        return values;
    }
}
