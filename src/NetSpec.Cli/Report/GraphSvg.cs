using System.Globalization;
using System.Text;
using NetSpec.Runtime;
using NetSpec.Runtime.Graph;

namespace NetSpec.Cli.Report;

/// <summary>
/// The network drawn as SVG for the report, laid out here (no Graphviz): left to right in layers
/// by topological depth, as <c>netspec graph</c> draws it. A node's depth is one more than its
/// deepest input's; a data input or parameter sits one layer before its first consumer. Within a
/// layer, values are ordered by the mean position of their neighbours (two sweeps), which keeps
/// most edges short and uncrossed. Shapes and colours follow <c>netspec graph</c>: data
/// parallelograms (blue), parameters cylinders (amber), ops grey boxes, the objective with a red
/// border. Every value is a <c>&lt;g data-node="name"&gt;</c> the page makes clickable.
/// </summary>
internal static class GraphSvg
{
    private const double LineHeight = 16, CharWidth = 7.4, PadX = 14, PadY = 9, ColumnGap = 80, RowGap = 22, Margin = 16;

    /// <summary>A value's box: its layer, its place in the layer and its size.</summary>
    internal sealed record Box(GraphValue Value, string[] Lines, double Width, double Height)
    {
        public int Layer { get; set; }
        public double X { get; set; }
        public double Y { get; set; }
        public double Order { get; set; }
    }

    /// <summary>The boxes of <paramref name="g"/>'s values, placed; the drawing's width and height.</summary>
    internal static (IReadOnlyList<Box> Boxes, double Width, double Height) Layout(NetworkGraph g)
    {
        var boxes = g.Values.Select(v =>
        {
            var lines = Label(g, v);
            double w = Math.Max(96, lines.Max(l => l.Length) * CharWidth + 2 * PadX + (v.Kind == ValueKind.Data ? 20 : 0));
            double h = lines.Length * LineHeight + 2 * PadY + (v.Kind == ValueKind.Parameter ? 10 : 0);
            return new Box(v, lines, w, h);
        }).ToArray();

        // Consumers of each value, and the inputs of each node's output.
        var inputs = new List<int>[g.Values.Count];
        var consumers = new List<int>[g.Values.Count];
        for (int i = 0; i < g.Values.Count; i++) (inputs[i], consumers[i]) = ([], []);
        foreach (var n in g.Nodes)
            foreach (int input in n.Inputs.Distinct())
            {
                inputs[n.Output].Add(input);
                consumers[input].Add(n.Output);
            }
        // Nodes are in topological order, so one pass gives every node's depth.
        foreach (var n in g.Nodes)
            boxes[n.Output].Layer = 1 + n.Inputs.Select(i => g.Values[i].Kind == ValueKind.Node ? boxes[i].Layer : 0).DefaultIfEmpty(0).Max();
        foreach (var b in boxes)
            if (b.Value.Kind != ValueKind.Node)
                b.Layer = consumers[b.Value.Index].Count == 0 ? 0 : Math.Max(0, consumers[b.Value.Index].Min(c => boxes[c].Layer) - 1);

        var layers = boxes.GroupBy(b => b.Layer).OrderBy(l => l.Key).Select(l => l.OrderBy(b => b.Value.Index).ToList()).ToList();
        for (int sweep = 0; sweep < 2; sweep++)
        {
            Number(layers);
            foreach (var layer in layers.Skip(1))
                Reorder(layer, b => inputs[b.Value.Index], boxes);
            Number(layers);
            for (int l = layers.Count - 2; l >= 0; l--)
                Reorder(layers[l], b => b.Value.Kind == ValueKind.Node ? [] : consumers[b.Value.Index], boxes);
        }

        double x = Margin, height = 0;
        var columnHeights = layers.Select(l => l.Sum(b => b.Height) + RowGap * (l.Count - 1)).ToList();
        double tallest = columnHeights.DefaultIfEmpty(0).Max();
        for (int l = 0; l < layers.Count; l++)
        {
            double width = layers[l].Max(b => b.Width);
            double y = Margin + (tallest - columnHeights[l]) / 2;
            foreach (var b in layers[l])
            {
                b.X = x + (width - b.Width) / 2;
                b.Y = y;
                y += b.Height + RowGap;
            }
            x += width + ColumnGap;
            height = Math.Max(height, y - RowGap);
        }
        return (boxes, x - ColumnGap + Margin, height + Margin);
    }

    private static void Number(List<List<Box>> layers)
    {
        foreach (var layer in layers)
            for (int i = 0; i < layer.Count; i++) layer[i].Order = i;
    }

    /// <summary>Sorts a layer by the mean order of each box's neighbours (boxes without any keep their place).</summary>
    private static void Reorder(List<Box> layer, Func<Box, List<int>> neighbours, Box[] boxes)
    {
        var keyed = layer.Select((b, i) =>
        {
            var n = neighbours(b);
            return (Box: b, Key: n.Count == 0 ? i : n.Average(j => boxes[j].Order), Index: i);
        }).OrderBy(t => t.Key).ThenBy(t => t.Index).Select(t => t.Box).ToList();
        layer.Clear();
        layer.AddRange(keyed);
    }

    /// <summary>The lines of a value's box, as <c>netspec graph</c> writes them.</summary>
    private static string[] Label(NetworkGraph g, GraphValue v) => v.Kind switch
    {
        ValueKind.Data => [v.Name, $"data {v.Shape}"],
        ValueKind.Parameter => [v.Name, $"parameter {v.Shape}"],
        _ => GraphText.NodeLabel(g, v, "\n").Split('\n'),
    };

    /// <summary>The kind the page and its styles use: data, parameter, op or objective.</summary>
    internal static string Kind(NetworkGraph g, GraphValue v) => v.Kind switch
    {
        ValueKind.Data => "data",
        ValueKind.Parameter => "parameter",
        _ => v.Index == g.BackwardFrom ? "objective" : "op",
    };

    public static string Render(NetworkGraph g)
    {
        var (boxes, width, height) = Layout(g);
        var byName = boxes.ToDictionary(b => b.Value.Name, StringComparer.Ordinal);
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"<svg id=\"graph\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {F(width)} {F(height)}\" width=\"{F(width)}\" height=\"{F(height)}\" role=\"img\" aria-label=\"The network of {Html.Attr(g.Spec.Name)}\">");
        sb.Append("<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#6b7280\"/></marker></defs>");
        sb.Append("<g class=\"edges\">");
        foreach (var (from, to, slot) in GraphText.Edges(g))
        {
            Box a = byName[from], b = byName[to];
            double x1 = a.X + a.Width - (a.Value.Kind == ValueKind.Data ? 10 : 0), y1 = a.Y + a.Height / 2, x2 = b.X, y2 = b.Y + b.Height / 2;
            double mid = (x1 + x2) / 2;
            sb.Append(CultureInfo.InvariantCulture, $"<g class=\"edge\" data-from=\"{Html.Attr(from)}\" data-to=\"{Html.Attr(to)}\">");
            sb.Append(CultureInfo.InvariantCulture, $"<path d=\"M{F(x1)},{F(y1)} C{F(mid)},{F(y1)} {F(mid)},{F(y2)} {F(x2)},{F(y2)}\" marker-end=\"url(#arrow)\"/>");
            // The slot name near the arrow's head, where edges into one node fan apart.
            double lx = x2 - 10, ly = y2 - 4;
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{F(lx)}\" y=\"{F(ly)}\" text-anchor=\"end\">{Html.Text(slot)}</text></g>");
        }
        sb.Append("</g><g class=\"nodes\">");
        foreach (var b in boxes)
        {
            string kind = Kind(g, b.Value);
            sb.Append(CultureInfo.InvariantCulture, $"<g class=\"node {kind}\" data-node=\"{Html.Attr(b.Value.Name)}\" data-kind=\"{kind}\" tabindex=\"0\" role=\"button\" aria-label=\"{Html.Attr(string.Join(", ", b.Lines))}\">");
            sb.Append(Shape(b, kind));
            double ty = b.Y + PadY + LineHeight * 0.8 + (b.Value.Kind == ValueKind.Parameter ? 8 : 0);
            for (int i = 0; i < b.Lines.Length; i++)
                sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{F(b.X + b.Width / 2)}\" y=\"{F(ty + i * LineHeight)}\" text-anchor=\"middle\"{(i == 0 ? " class=\"name\"" : "")}>{Html.Text(b.Lines[i])}</text>");
            sb.Append("</g>");
        }
        sb.Append("</g></svg>");
        return sb.ToString();
    }

    private static string Shape(Box b, string kind)
    {
        double x = b.X, y = b.Y, w = b.Width, h = b.Height;
        return kind switch
        {
            "data" => $"<polygon class=\"shape\" points=\"{F(x + 10)},{F(y)} {F(x + w)},{F(y)} {F(x + w - 10)},{F(y + h)} {F(x)},{F(y + h)}\"/>",
            "parameter" => $"<path class=\"shape\" d=\"M{F(x)},{F(y + 6)} A{F(w / 2)},6 0 0 1 {F(x + w)},{F(y + 6)} V{F(y + h - 6)} A{F(w / 2)},6 0 0 1 {F(x)},{F(y + h - 6)} Z\"/>"
                + $"<path class=\"rim\" d=\"M{F(x)},{F(y + 6)} A{F(w / 2)},6 0 0 0 {F(x + w)},{F(y + 6)}\"/>",
            _ => $"<rect class=\"shape\" x=\"{F(x)}\" y=\"{F(y)}\" width=\"{F(w)}\" height=\"{F(h)}\" rx=\"4\"/>",
        };
    }

    internal static string F(double v) => Math.Round(v, 1).ToString("0.#", CultureInfo.InvariantCulture);
}
