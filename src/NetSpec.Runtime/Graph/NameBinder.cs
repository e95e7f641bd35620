using NetSpec.Parser;
using NetSpec.Parser.Diagnostics;
using NetSpec.Parser.Model;
using NetSpec.Runtime.Ops;

namespace NetSpec.Runtime.Graph;

/// <summary>
/// Naming and binding: declares every value (data, parameters, one slot per node output, so
/// nodes may be written in any order), then binds each node to its op, its inputs to values by
/// name and its keys to input slots and attributes. Each problem is reported at its position;
/// a name whose declaration was already reported is not reported again.
/// </summary>
internal sealed class NameBinder(SpecDocument spec, DiagnosticBag d)
{
    private readonly ValueTable _values = new();
    private readonly AttributeBinder _attributes = new(spec, d);
    private readonly Dictionary<Op, string[]> _keys = [];
    private readonly Dictionary<string, NodeArg> _args = new(StringComparer.Ordinal); // one node's, reused
    private readonly HashSet<string> _noneMisspelled = []; // given to the attribute binder when no key was misspelled; never added to
    private readonly List<(int Value, string Node, InputSlot Slot, SourceSpan Span)> _uses = []; // every parameter input, for the state check

    /// <summary>Declares every value of the spec: data, parameters, then node outputs in declaration order.</summary>
    public ValueTable DeclareValues()
    {
        foreach (var data in spec.Data)
            _values.Add(new GraphValue(_values.Count, data.Name, ValueKind.Data, LiteralShapes.OfData(data.Value), data.NameSpan) { Literal = data.Value.Values });
        foreach (var p in spec.Parameters)
        {
            if (p.Value is { } lit)
                _values.Add(new GraphValue(_values.Count, p.Name, ValueKind.Parameter, new Shape(lit.Dims), p.NameSpan) { Literal = lit.Values, Trainable = p.Trainable });
            else if (p.Init is { } init)
                _values.Add(new GraphValue(_values.Count, p.Name, ValueKind.Parameter, new Shape(init.Shape), p.NameSpan) { Init = init, Trainable = p.Trainable });
        }
        foreach (var n in spec.Network)
            _values.Add(new GraphValue(_values.Count, n.Name, ValueKind.Node, Shape.Scalar, n.NameSpan));
        return _values;
    }

    /// <summary>Binds every node in declaration order; a node whose op is unknown is left out.</summary>
    public List<PendingNode> BindNodes()
    {
        var pending = new List<PendingNode>();
        foreach (var n in spec.Network)
            if (BindNode(n, pending.Count) is { } pn) pending.Add(pn);
        CheckState();
        return pending;
    }

    /// <summary>
    /// A parameter an op updates as state (batch_norm's running statistics) may be the state of
    /// several nodes (each updates it in turn, as a torch module applied twice does), but no other
    /// input: there it would be trained, or read as if it were fixed.
    /// </summary>
    private void CheckState()
    {
        var owner = new Dictionary<int, (string Node, InputSlot Slot)>();
        foreach (var u in _uses)
            if (u.Slot.State) owner.TryAdd(u.Value, (u.Node, u.Slot));
        if (owner.Count == 0) return;
        foreach (var u in _uses)
        {
            if (u.Slot.State || !owner.TryGetValue(u.Value, out var o)) continue;
            d.Error(Codes.NotTrainable, u.Span,
                $"parameter '{_values[u.Value].Name}' is the state '{o.Slot.Name}' that node '{o.Node}' updates; it cannot also be input '{u.Slot.Name}' of node '{u.Node}' (declare a parameter of its own)");
        }
    }

    private PendingNode? BindNode(NodeDecl n, int index)
    {
        var op = OpRegistry.Find(n.Op.Name);
        if (op is null)
        {
            d.Error(Codes.UnknownOp, n.Op.Span,
                $"unknown op '{n.Op.Name}' in node '{n.Name}'{Suggest.DidYouMean(n.Op.Name, OpRegistry.Names)}" +
                (Suggest.Closest(n.Op.Name, OpRegistry.Names) is null ? $" (known ops: {string.Join(", ", OpRegistry.Names)})" : ""));
            return null;
        }
        bool ok = true;
        var args = _args;
        args.Clear();
        if (!_keys.TryGetValue(op, out var keys))
            _keys[op] = keys = [.. op.Inputs.Select(s => s.Name).Concat(op.Attributes.Select(a => a.Name))];
        HashSet<string>? misspelled = null;
        foreach (var a in n.Args)
        {
            if (Array.IndexOf(keys, a.Key) < 0)
            {
                if (Suggest.Closest(a.Key, keys) is { } meant) (misspelled ??= new(StringComparer.Ordinal)).Add(meant);
                d.Error(Codes.UnknownKey, a.KeySpan,
                    $"op '{op.Name}' has no input or attribute '{GraphBuilder.Clip(a.Key)}'{Suggest.DidYouMean(a.Key, keys)} (it takes {string.Join(", ", keys)})");
                ok = false;
                continue;
            }
            args[a.Key] = a;
        }
        var inputs = new List<(int, ArgScalar)>(op.Inputs.Count);
        string? leftOut = null; // the first optional slot the node leaves out
        foreach (var slot in op.Inputs)
        {
            if (!args.TryGetValue(slot.Name, out var arg))
            {
                if (slot.Optional)
                {
                    leftOut ??= slot.Name;
                    continue;
                }
                if (misspelled is null || !misspelled.Contains(slot.Name))
                    d.Error(Codes.MissingInput, n.NameSpan, $"node '{n.Name}' ({op.Name}) is missing its input '{slot.Name}'");
                ok = false;
                continue;
            }
            if (leftOut is not null)
            {
                d.Error(Codes.MissingInput, arg.KeySpan,
                    $"node '{n.Name}' ({op.Name}) gives its optional input '{slot.Name}' but leaves out '{leftOut}', which comes before it; give both or leave out '{slot.Name}'");
                ok = false;
                continue;
            }
            IReadOnlyList<ArgScalar> refs;
            if (arg.Value is ArgList list)
            {
                if (!slot.IsList)
                {
                    d.Error(Codes.WrongType, list.Span, $"input '{slot.Name}' of node '{n.Name}' takes one name, not a list");
                    ok = false;
                    continue;
                }
                if (list.Items.Count == 0)
                {
                    d.Error(Codes.InputCount, list.Span, $"input '{slot.Name}' of node '{n.Name}' needs at least one name");
                    ok = false;
                    continue;
                }
                refs = list.Items;
            }
            else refs = [(ArgScalar)arg.Value];
            if (inputs.Capacity < inputs.Count + refs.Count) inputs.Capacity = inputs.Count + refs.Count;
            foreach (var r in refs)
            {
                if (r.Number is not null)
                {
                    d.Error(Codes.WrongType, r.Span, $"input '{slot.Name}' of node '{n.Name}' must name a value, not the number {r.Text}");
                    ok = false;
                }
                else if (_values.TryFind(r.Text, out var vi))
                {
                    if (r.Text == n.Name)
                    {
                        d.Error(Codes.Cycle, r.Span, $"node '{n.Name}' takes its own output as input '{slot.Name}'");
                        ok = false;
                    }
                    if (slot.State && _values[vi].Kind != ValueKind.Parameter)
                    {
                        d.Error(Codes.WrongType, r.Span,
                            $"input '{slot.Name}' of node '{n.Name}' is state that {op.Name} updates, so it must name a parameter, not the {(_values[vi].Kind == ValueKind.Data ? "data" : "node")} '{GraphBuilder.Clip(r.Text)}'");
                        ok = false;
                    }
                    else if (_values[vi].Kind == ValueKind.Parameter) _uses.Add((vi, n.Name, slot, r.Span));
                    inputs.Add((vi, r));
                }
                else if (spec.IsReported(r.Text)) ok = false; // its declaration is already reported
                else
                {
                    d.Error(Codes.UnknownReference, r.Span,
                        $"node '{n.Name}' takes '{GraphBuilder.Clip(r.Text)}' as input '{slot.Name}', but no data, parameter or node has that name{Suggest.DidYouMean(r.Text, _values.Names)}");
                    ok = false;
                }
            }
        }
        var (attrs, attrText, attrsOk) = _attributes.Bind(n, op, args, misspelled ?? _noneMisspelled);
        ok &= attrsOk;
        _values.TryFind(n.Name, out int output);
        return new PendingNode(index, n, op, output, inputs, attrs, attrText, ok);
    }
}
