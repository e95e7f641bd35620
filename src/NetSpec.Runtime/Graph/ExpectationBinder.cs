using NetSpec.Parser;
using NetSpec.Parser.Diagnostics;
using NetSpec.Parser.Model;

namespace NetSpec.Runtime.Graph;

/// <summary>
/// Binds each <c>expect:</c> entry to the value it names and checks it can be checked: the name
/// exists, a gradient needs a backward section, an updated value is a parameter of a spec with
/// an optimizer, the step is one the spec runs, and the expected literal fits the value's shape.
/// </summary>
internal static class ExpectationBinder
{
    public static List<BoundExpectation> Bind(SpecDocument spec, ValueTable values, Shape?[] shapes, DiagnosticBag d)
    {
        var list = new List<BoundExpectation>();
        var hasBackward = spec.Backward is not null;
        var steps = spec.Optimizer is { } o ? (int)o.Steps.Value : 1;
        foreach (var e in spec.Expectations)
        {
            // A refused optimizer is reported once, at its own mistake: not as a missing optimizer or a step count.
            if (spec.OptimizerRefused && (e.Kind == ExpectKind.Updated || e.Step > 1)) continue;
            string kind = e.Kind switch { ExpectKind.Forward => "forward", ExpectKind.Gradient => "gradients", _ => "updated" };
            if (!values.TryFind(e.Name.Name, out var vi))
            {
                if (spec.IsReported(e.Name.Name)) continue;
                d.Error(Codes.ExpectUnknown, e.Name.Span, $"'expect: {kind}' names '{GraphBuilder.Clip(e.Name.Name)}', which is not a value of the spec{Suggest.DidYouMean(e.Name.Name, values.Names)}");
                continue;
            }
            if (e.Kind == ExpectKind.Gradient && !hasBackward)
            {
                if (spec.Unread("backward")) continue; // reported at the section
                d.Error(Codes.NoBackward, e.Name.Span, $"gradient of '{e.Name.Name}' is expected, but the spec has no 'backward' section");
                continue;
            }
            if (e.Kind == ExpectKind.Updated)
            {
                if (values[vi].Kind != ValueKind.Parameter)
                {
                    d.Error(Codes.NotTrainable, e.Name.Span, $"'{e.Name.Name}' is not a parameter: only parameters are updated");
                    continue;
                }
                if (spec.Optimizer is null)
                {
                    d.Error(Codes.ExpectKind, e.Name.Span, $"an updated '{e.Name.Name}' is expected, but the spec has no 'optimizer'");
                    continue;
                }
            }
            if (e.Step > steps)
            {
                d.Error(Codes.ExpectKind, e.Name.Span, $"the expectation of '{e.Name.Name}' is for step {e.Step}, but the spec runs {steps} step{(steps == 1 ? "" : "s")}");
                continue;
            }
            if (shapes[vi] is { } shape && !LiteralShapes.Fits(e.Value, shape))
            {
                d.Error(Codes.ExpectShape, e.Value.Span, $"the expected {(e.Kind == ExpectKind.Gradient ? "gradient of" : "value of")} '{e.Name.Name}' is {LiteralShapes.Describe(e.Value)} but '{e.Name.Name}' is {shape}");
                continue;
            }
            list.Add(new BoundExpectation(e, vi));
        }
        return list;
    }
}
