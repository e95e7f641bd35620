using NetSpec.Parser.Diagnostics;
using NetSpec.Parser.Model;
using NetSpec.Runtime.Ops;

namespace NetSpec.Runtime.Graph;

/// <summary>
/// Reads a node's attributes against its op's typed <see cref="AttributeSpec"/>s: numbers and
/// whole numbers (literal or a hyperparameter's name), lists of whole numbers, enum words and
/// flags; defaults for the ones left out; each value checked against its range. Every problem
/// is a diagnostic at the value's position.
/// </summary>
internal sealed class AttributeBinder(SpecDocument spec, DiagnosticBag d)
{
    private Dictionary<string, Hyperparameter>? _hyperparameters; // by name, the first of a name, made on first use

    private Hyperparameter? FindHyperparameter(string name)
    {
        if (_hyperparameters is null)
        {
            _hyperparameters = new Dictionary<string, Hyperparameter>(StringComparer.Ordinal);
            foreach (var h in spec.Hyperparameters) _hyperparameters.TryAdd(h.Name, h);
        }
        return _hyperparameters.GetValueOrDefault(name);
    }

    /// <summary>The values and how each was written ("lambda = 0.1"), and whether all were valid.</summary>
    public (AttributeValues Values, string[] Text, bool Ok) Bind(NodeDecl n, Op op, IReadOnlyDictionary<string, NodeArg> args, IReadOnlySet<string> misspelled)
    {
        var specs = op.Attributes;
        if (specs.Count == 0) return (AttributeValues.Empty, [], true);
        var values = new AttributeValue[specs.Count];
        var text = new string[specs.Count];
        bool ok = true;
        for (int i = 0; i < specs.Count; i++)
        {
            var a = specs[i];
            if (!args.TryGetValue(a.Name, out var arg))
            {
                if (a.Default is { } dv)
                {
                    values[i] = dv;
                    text[i] = DefaultText(a, dv);
                    continue;
                }
                if (!misspelled.Contains(a.Name))
                    d.Error(Codes.MissingField, n.NameSpan, $"node '{n.Name}' ({op.Name}) needs the attribute '{a.Name}'");
                ok = false;
                continue;
            }
            var read = Read(n, a, arg.Value);
            if (read is not { } r)
            {
                ok = false;
                values[i] = a.Default ?? AttributeValue.Of(0.0);
                continue;
            }
            values[i] = r.Value;
            text[i] = r.Text;
            if (a.Check(r.Value) is { } must)
            {
                d.Error(a.Name == "lambda" ? Codes.NegativeLambda : Codes.InvalidValue, arg.Value.Span,
                    $"attribute '{a.Name}' of node '{n.Name}' must be {must}, not {r.Text}");
                ok = false;
            }
        }
        return (new AttributeValues(values), text, ok);
    }

    private static string DefaultText(AttributeSpec a, AttributeValue v) => a.Type switch
    {
        AttributeType.Number or AttributeType.Integer or AttributeType.Flag => Format.Number(v.Number),
        _ => v.ToString(),
    };

    private (AttributeValue Value, string Text)? Read(NodeDecl n, AttributeSpec a, ArgValue value)
    {
        switch (a.Type)
        {
            case AttributeType.Number or AttributeType.Integer:
            {
                if (value is not ArgScalar s)
                {
                    d.Error(Codes.WrongType, value.Span, $"attribute '{a.Name}' of node '{n.Name}' is a number or a hyperparameter name, not a list");
                    return null;
                }
                return Number(n, a, s);
            }
            case AttributeType.IntegerList:
            {
                var items = value is ArgList l ? l.Items : [(ArgScalar)value];
                var xs = new long[items.Count];
                for (int k = 0; k < items.Count; k++)
                {
                    if (items[k].Number is not { } x || x != Math.Floor(x) || Math.Abs(x) > int.MaxValue)
                    {
                        d.Error(Codes.WrongType, items[k].Span, $"attribute '{a.Name}' of node '{n.Name}' is a list of whole numbers, but it holds '{Clip(items[k].Text)}'");
                        return null;
                    }
                    xs[k] = (long)x;
                }
                var v = AttributeValue.Of(xs);
                return (v, v.ToString());
            }
            case AttributeType.Enum:
            {
                if (value is not ArgScalar { Number: null } s)
                {
                    d.Error(Codes.WrongType, value.Span, $"attribute '{a.Name}' of node '{n.Name}' is one of {string.Join(", ", a.Choices)}");
                    return null;
                }
                if (!a.Choices.Contains(s.Text, StringComparer.Ordinal))
                {
                    d.Error(Codes.InvalidValue, s.Span,
                        $"attribute '{a.Name}' of node '{n.Name}' is one of {string.Join(", ", a.Choices)}, not '{Clip(s.Text)}'{Suggest.DidYouMean(s.Text, a.Choices)}");
                    return null;
                }
                return (AttributeValue.Of(s.Text), s.Text);
            }
            default:
            {
                if (value is ArgScalar { Number: { } x } && (x == 0 || x == 1)) return (AttributeValue.Of(x == 1), Format.Number(x));
                if (value is ArgScalar { Number: null } s && bool.TryParse(s.Text, out bool b)) return (AttributeValue.Of(b), b ? "true" : "false");
                d.Error(Codes.WrongType, value.Span, $"attribute '{a.Name}' of node '{n.Name}' is a flag: true or false (or 1 or 0)");
                return null;
            }
        }
    }

    private (AttributeValue, string)? Number(NodeDecl n, AttributeSpec a, ArgScalar s)
    {
        if (s.Number is { } x) return (AttributeValue.Of(x), Format.Number(x));
        if (FindHyperparameter(s.Text) is { } h) return (AttributeValue.Of(h.Value), $"{h.Name} = {Format.Number(h.Value)}");
        if (spec.IsReportedHyperparameter(s.Text)) return null;
        d.Error(Codes.UnknownHyperparameter, s.Span,
            $"attribute '{a.Name}' of node '{n.Name}' names '{Clip(s.Text)}', which is not a hyperparameter{Suggest.DidYouMean(s.Text, spec.Hyperparameters.Select(hp => hp.Name))}");
        return null;
    }

    private static string Clip(string s) => Excerpt.Clip(s);
}
