using System.Globalization;
using System.Text;
using NetSpec.Runtime.Training;

namespace NetSpec.Cli.Report;

/// <summary>
/// A training run's learning curves as two SVG charts (the same series as the learning-curve
/// PNG): loss per epoch (train, validation; the test loss dashed) and accuracy per epoch (train,
/// validation; the test accuracy dashed). Every series is a <c>&lt;polyline data-series="..."&gt;</c>
/// whose points are the epochs' values.
/// </summary>
internal static class CurveSvg
{
    private const double Width = 600, Height = 280, Left = 58, Right = 170, Top = 30, Bottom = 40;

    private sealed record Series(string Key, string Label, string Colour, double[] Values, bool Dashed = false);

    public static string Render(TrainingReport report)
    {
        var h = report.History;
        var sb = new StringBuilder("<div class=\"curves\">");
        var loss = new List<Series> { new("train_loss", "train loss", "#1d4ed8", [.. h.Select(m => m.TrainLoss)]) };
        if (h.All(m => m.ValidationLoss is not null)) loss.Add(new("validation_loss", "validation loss", "#b45309", [.. h.Select(m => m.ValidationLoss!.Value)]));
        if (report.TestLoss is { } tl) loss.Add(new("test_loss", $"test loss {Format(tl)}", "#b91c1c", [tl], Dashed: true));
        sb.Append(Chart("Loss (objective J) per epoch", "loss", h.Select(m => m.Epoch).ToArray(), loss));
        var acc = new List<Series>();
        if (h.All(m => m.TrainAccuracy is not null)) acc.Add(new("train_accuracy", "train accuracy", "#1d4ed8", [.. h.Select(m => m.TrainAccuracy!.Value)]));
        if (h.All(m => m.ValidationAccuracy is not null)) acc.Add(new("validation_accuracy", "validation accuracy", "#b45309", [.. h.Select(m => m.ValidationAccuracy!.Value)]));
        if (report.TestAccuracy is { } ta) acc.Add(new("test_accuracy", $"test accuracy {Format(ta)}", "#b91c1c", [ta], Dashed: true));
        if (acc.Count > 0) sb.Append(Chart("Accuracy per epoch", "accuracy", h.Select(m => m.Epoch).ToArray(), acc));
        return sb.Append("</div>").ToString();
    }

    private static string Chart(string title, string yLabel, int[] epochs, List<Series> series)
    {
        double x0 = epochs.Length == 0 ? 0 : epochs[0], x1 = epochs.Length == 0 ? 1 : epochs[^1];
        if (x1 <= x0) x1 = x0 + 1;
        var all = series.SelectMany(s => s.Values).Where(double.IsFinite).ToList();
        double lo = all.Count == 0 ? 0 : all.Min(), hi = all.Count == 0 ? 1 : all.Max();
        if (hi <= lo) (lo, hi) = (lo - 0.5, hi + 0.5);
        var ticks = Ticks(lo, hi);
        (lo, hi) = (Math.Min(lo, ticks[0]), Math.Max(hi, ticks[^1]));
        double plotW = Width - Left - Right, plotH = Height - Top - Bottom;
        double X(double e) => Left + (e - x0) / (x1 - x0) * plotW;
        double Y(double v) => Top + (hi - v) / (hi - lo) * plotH;

        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"<svg class=\"chart\" data-chart=\"{yLabel}\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {Width} {Height}\" width=\"{Width}\" height=\"{Height}\" role=\"img\" aria-label=\"{Html.Attr(title)}\">");
        sb.Append(CultureInfo.InvariantCulture, $"<text class=\"title\" x=\"{Left}\" y=\"18\">{Html.Text(title)}</text>");
        foreach (double t in ticks)
        {
            sb.Append(CultureInfo.InvariantCulture, $"<line class=\"grid\" x1=\"{Left}\" x2=\"{F(Left + plotW)}\" y1=\"{F(Y(t))}\" y2=\"{F(Y(t))}\"/>");
            sb.Append(CultureInfo.InvariantCulture, $"<text class=\"tick\" x=\"{Left - 6}\" y=\"{F(Y(t) + 4)}\" text-anchor=\"end\">{Format(t)}</text>");
        }
        foreach (int e in EpochTicks(epochs))
            sb.Append(CultureInfo.InvariantCulture, $"<text class=\"tick\" x=\"{F(X(e))}\" y=\"{F(Height - Bottom + 16)}\" text-anchor=\"middle\">{e}</text>");
        sb.Append(CultureInfo.InvariantCulture, $"<text class=\"axis\" x=\"{F(Left + plotW / 2)}\" y=\"{F(Height - 6)}\" text-anchor=\"middle\">epoch</text>");
        sb.Append(CultureInfo.InvariantCulture, $"<rect class=\"frame\" x=\"{Left}\" y=\"{Top}\" width=\"{F(plotW)}\" height=\"{F(plotH)}\"/>");
        double legendY = Top + 14;
        foreach (var s in series)
        {
            if (s.Dashed)
                sb.Append(CultureInfo.InvariantCulture, $"<line data-series=\"{s.Key}\" data-value=\"{R(s.Values[0])}\" x1=\"{Left}\" x2=\"{F(Left + plotW)}\" y1=\"{F(Y(s.Values[0]))}\" y2=\"{F(Y(s.Values[0]))}\" stroke=\"{s.Colour}\" stroke-dasharray=\"6 4\"/>");
            else
            {
                string points = string.Join(" ", s.Values.Select((v, i) => double.IsFinite(v) ? $"{F(X(epochs[i]))},{F(Y(v))}" : null).Where(p => p is not null));
                string values = string.Join(" ", s.Values.Select(R));
                sb.Append(CultureInfo.InvariantCulture, $"<polyline data-series=\"{s.Key}\" data-values=\"{values}\" points=\"{points}\" stroke=\"{s.Colour}\"/>");
            }
            sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{F(Left + plotW + 12)}\" x2=\"{F(Left + plotW + 34)}\" y1=\"{F(legendY - 4)}\" y2=\"{F(legendY - 4)}\" stroke=\"{s.Colour}\" stroke-width=\"2\"{(s.Dashed ? " stroke-dasharray=\"6 4\"" : "")}/>");
            sb.Append(CultureInfo.InvariantCulture, $"<text class=\"legend\" x=\"{F(Left + plotW + 40)}\" y=\"{F(legendY)}\">{Html.Text(s.Label)}</text>");
            legendY += 16;
        }
        return sb.Append("</svg>").ToString();
    }

    /// <summary>About five round tick values covering [lo, hi].</summary>
    internal static double[] Ticks(double lo, double hi)
    {
        double raw = (hi - lo) / 5, mag = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double step = new[] { 1, 2, 2.5, 5, 10 }.Select(m => m * mag).First(s => s >= raw);
        double start = Math.Floor(lo / step) * step;
        var ticks = new List<double>();
        for (double t = start; t <= hi + step * 1e-9; t += step) ticks.Add(Math.Round(t / step) * step);
        if (ticks[^1] < hi) ticks.Add(ticks[^1] + step);
        return [.. ticks];
    }

    private static IEnumerable<int> EpochTicks(int[] epochs)
    {
        if (epochs.Length == 0) yield break;
        int every = Math.Max(1, (int)Math.Ceiling(epochs.Length / 10.0));
        for (int i = 0; i < epochs.Length; i += every) yield return epochs[i];
        if ((epochs.Length - 1) % every != 0) yield return epochs[^1];
    }

    private static string Format(double v) => v.ToString("G4", CultureInfo.InvariantCulture);

    private static string R(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    private static string F(double v) => GraphSvg.F(v);
}
