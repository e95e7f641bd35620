using NetSpec.Parser.Model;
using NetSpec.Parser.Reading;
using YamlDotNet.RepresentationModel;

namespace NetSpec.Parser.Sections;

/// <summary><c>backward:</c>, where backpropagation starts: the objective, or a node with an assumed gradient.</summary>
internal static class BackwardSection
{
    public static readonly string[] Keys = ["from", "grad"];

    public static BackwardDecl? Read(SpecReader r, YamlNode node)
    {
        if (r.Section(node, "'backward'", Keys) is not { } e) return null;
        NameRef? from = null;
        if (e.Require("from", "'backward' needs 'from:', the objective node (or the node whose gradient 'grad' assumes)", out var f) &&
            r.Text(f.Value, "from") is { } name)
            from = new NameRef(name, r.Span(f.Value));
        TensorLiteral? grad = null;
        if (e.TryGet("grad", out var g)) grad = TensorReader.Read(r, g.Value, "the assumed gradient 'grad'");
        return from is null ? null : new BackwardDecl(from, grad, e.Span);
    }
}
