using NetSpec.Parser;
using NetSpec.Parser.Diagnostics;
using NetSpec.Parser.Model;
using NetSpec.Parser.Yaml;
using NetSpec.Runtime.Ops;

namespace NetSpec.Runtime.Graph;

/// <summary>
/// Turns a parsed spec into a <see cref="NetworkGraph"/>: binds every name, checks each node
/// against its op's schema, orders the nodes, infers every shape, and checks where backward
/// starts and what is expected. Reports every independent problem, each at its position.
/// </summary>
public sealed class GraphBuilder
{
    private readonly SpecDocument _spec;
    private readonly DiagnosticBag _d;
    private readonly List<GraphValue> _values = [];
    private readonly Dictionary<string, int> _byName = new(StringComparer.Ordinal);
    private readonly long _maxElements;

    private GraphBuilder(SpecDocument spec, DiagnosticBag diagnostics, ParserLimits limits)
    {
        _spec = spec;
        _d = diagnostics;
        _maxElements = limits.MaxElements;
        _attributes = new AttributeBinder(spec, diagnostics);
    }

    private readonly AttributeBinder _attributes;

    /// <summary>
    /// The graph, or null when the spec has errors (they are in <paramref name="diagnostics"/>).
    /// <paramref name="limits"/> bounds the elements of the values the graph infers, as the parser
    /// bounds those the spec declares.
    /// </summary>
    public static NetworkGraph? Build(SpecDocument spec, DiagnosticBag diagnostics, ParserLimits? limits = null) =>
        new GraphBuilder(spec, diagnostics, limits ?? ParserLimits.Default).Build();

    private sealed record PendingNode(NodeDecl Decl, Op Op, List<(int Value, ArgScalar Ref)> Inputs, AttributeValues Attributes, string[] AttributeText, bool Ok);

    private NetworkGraph? Build()
    {
        int errorsBefore = _d.ErrorCount;
        foreach (var data in _spec.Data)
        {
            var lit = data.Value;
            // Rows are samples: a vector is a batch of one, a number is a scalar; a matrix or a
            // tensor of higher rank has the shape it is written in.
            var shape = lit.Rank switch
            {
                0 => Shape.Scalar,
                1 => new Shape(1, lit.Dims[0]),
                _ => new Shape(lit.Dims),
            };
            Add(new GraphValue(_values.Count, data.Name, ValueKind.Data, shape, data.NameSpan) { Literal = lit.Values });
        }
        foreach (var p in _spec.Parameters)
        {
            if (p.Value is { } lit)
                Add(new GraphValue(_values.Count, p.Name, ValueKind.Parameter, new Shape(lit.Dims), p.NameSpan) { Literal = lit.Values });
            else if (p.Init is { } init)
                Add(new GraphValue(_values.Count, p.Name, ValueKind.Parameter, new Shape(init.Shape), p.NameSpan) { Init = init });
        }
        // Node outputs get their value slots up front so nodes may be written in any order.
        var nodeValue = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var n in _spec.Network)
        {
            nodeValue[n.Name] = _values.Count;
            Add(new GraphValue(_values.Count, n.Name, ValueKind.Node, Shape.Scalar, n.NameSpan));
        }

        var pending = new List<PendingNode>();
        foreach (var n in _spec.Network)
            if (BindNode(n) is { } pn) pending.Add(pn);

        var order = Order(pending, nodeValue);
        var shapes = new Shape?[_values.Count];
        foreach (var v in _values)
            if (v.Kind != ValueKind.Node) shapes[v.Index] = v.Shape;

        var nodes = new List<GraphNode>();
        long elements = _values.Where(v => v.Kind != ValueKind.Node).Sum(v => (long)v.Shape.Length);
        bool tooMany = false;
        if (order is not null)
        {
            foreach (var pn in order)
            {
                int output = nodeValue[pn.Decl.Name];
                var inShapes = pn.Inputs.Select(i => shapes[i.Value]).ToArray();
                if (!pn.Ok || inShapes.Any(s => s is null)) continue;
                var names = pn.Inputs.Select(i => _values[i.Value].Name).ToArray();
                ShapeResult result;
                try
                {
                    result = pn.Op.Setup(inShapes!, names, pn.Attributes);
                }
                catch (ArgumentOutOfRangeException)
                {
                    // Shape refuses more than int.MaxValue elements.
                    _d.Error(Codes.TooManyElements, pn.Decl.NameSpan,
                        $"{pn.Op.Name} '{pn.Decl.Name}': its output would have more than {int.MaxValue} elements");
                    continue;
                }
                if (result.Shape is null)
                {
                    _d.Error(Codes.ShapeMismatch, pn.Decl.NameSpan, $"{pn.Op.Name} '{pn.Decl.Name}': {result.Error}");
                    continue;
                }
                elements += result.Shape.Length;
                if (elements > _maxElements)
                {
                    if (!tooMany)
                        _d.Error(Codes.TooManyElements, pn.Decl.NameSpan,
                            $"{pn.Op.Name} '{pn.Decl.Name}': its output is {result.Shape}, which takes the spec past {_maxElements} tensor elements (--max-elements raises the limit)");
                    tooMany = true;
                    continue;
                }
                shapes[output] = result.Shape;
                _values[output] = _values[output] with { Shape = result.Shape, Producer = nodes.Count };
                CheckDistributions(pn);
                var args = names.Concat(pn.AttributeText.Select((t, k) => (t, k))
                    .Where(a => pn.Op.Attributes[a.k].ShowDefault || !pn.Op.Attributes[a.k].IsDefault(pn.Attributes[a.k]))
                    .Select(a => a.t.StartsWith(pn.Op.Attributes[a.k].Name + " = ", StringComparison.Ordinal) ? a.t : $"{pn.Op.Attributes[a.k].Name} = {a.t}"));
                nodes.Add(new GraphNode(nodes.Count, pn.Decl.Name, pn.Op, [.. pn.Inputs.Select(i => i.Value)], output,
                    pn.Attributes, pn.Decl.Span)
                {
                    AttributeText = pn.AttributeText,
                    Expression = $"{pn.Op.Name}({string.Join(", ", args)})",
                });
            }
        }

        var (from, seed) = BindBackward(shapes);
        if (_spec.Optimizer is { } opt && _spec.Backward is null)
            _d.Error(Codes.NoBackward, opt.Span, "the optimizer needs gradients, but the spec has no 'backward' section saying where backward starts");
        var expectations = BindExpectations(shapes);
        // Unused values are worth a warning only in a spec without errors: in one with errors
        // they are mostly a consequence of them.
        if (!_d.HasErrors) WarnUnused(from);

        if (_d.ErrorCount > errorsBefore) return null;
        return new NetworkGraph(_spec, _values, nodes, from, seed, expectations);
    }

    private void Add(GraphValue v)
    {
        _byName[v.Name] = v.Index;
        _values.Add(v);
    }

    private IEnumerable<string> ValueNames => _byName.Keys;

    private PendingNode? BindNode(NodeDecl n)
    {
        var op = OpRegistry.Find(n.Op.Name);
        if (op is null)
        {
            _d.Error(Codes.UnknownOp, n.Op.Span,
                $"unknown op '{n.Op.Name}' in node '{n.Name}'{Suggest.DidYouMean(n.Op.Name, OpRegistry.Names)}" +
                (Suggest.Closest(n.Op.Name, OpRegistry.Names) is null ? $" (known ops: {string.Join(", ", OpRegistry.Names)})" : ""));
            return null;
        }
        bool ok = true;
        var args = new Dictionary<string, NodeArg>(StringComparer.Ordinal);
        var keys = op.Inputs.Select(s => s.Name).Concat(op.Attributes.Select(a => a.Name)).ToArray();
        var misspelled = new HashSet<string>(StringComparer.Ordinal);
        foreach (var a in n.Args)
        {
            if (Array.IndexOf(keys, a.Key) < 0)
            {
                if (Suggest.Closest(a.Key, keys) is { } meant) misspelled.Add(meant);
                _d.Error(Codes.UnknownKey, a.KeySpan,
                    $"op '{op.Name}' has no input or attribute '{YamlClip(a.Key)}'{Suggest.DidYouMean(a.Key, keys)} (it takes {string.Join(", ", keys)})");
                ok = false;
                continue;
            }
            args[a.Key] = a;
        }
        var inputs = new List<(int, ArgScalar)>();
        foreach (var slot in op.Inputs)
        {
            if (!args.TryGetValue(slot.Name, out var arg))
            {
                if (!misspelled.Contains(slot.Name))
                    _d.Error(Codes.MissingInput, n.NameSpan, $"node '{n.Name}' ({op.Name}) is missing its input '{slot.Name}'");
                ok = false;
                continue;
            }
            IReadOnlyList<ArgScalar> refs;
            if (arg.Value is ArgList list)
            {
                if (!slot.IsList)
                {
                    _d.Error(Codes.WrongType, list.Span, $"input '{slot.Name}' of node '{n.Name}' takes one name, not a list");
                    ok = false;
                    continue;
                }
                if (list.Items.Count == 0)
                {
                    _d.Error(Codes.InputCount, list.Span, $"input '{slot.Name}' of node '{n.Name}' needs at least one name");
                    ok = false;
                    continue;
                }
                refs = list.Items;
            }
            else refs = [(ArgScalar)arg.Value];
            foreach (var r in refs)
            {
                if (r.Number is not null)
                {
                    _d.Error(Codes.WrongType, r.Span, $"input '{slot.Name}' of node '{n.Name}' must name a value, not the number {r.Text}");
                    ok = false;
                }
                else if (_byName.TryGetValue(r.Text, out var vi))
                {
                    if (r.Text == n.Name)
                    {
                        _d.Error(Codes.Cycle, r.Span, $"node '{n.Name}' takes its own output as input '{slot.Name}'");
                        ok = false;
                    }
                    inputs.Add((vi, r));
                }
                else if (_spec.IsReported(r.Text)) ok = false; // its declaration is already reported
                else
                {
                    _d.Error(Codes.UnknownReference, r.Span,
                        $"node '{n.Name}' takes '{YamlClip(r.Text)}' as input '{slot.Name}', but no data, parameter or node has that name{Suggest.DidYouMean(r.Text, ValueNames)}");
                    ok = false;
                }
            }
        }
        var (attrs, attrText, attrsOk) = _attributes.Bind(n, op, args, misspelled);
        ok &= attrsOk;
        return new PendingNode(n, op, inputs, attrs, attrText, ok);
    }

    private static string YamlClip(string s) => s.Length <= 40 ? s : s[..37] + "...";

    /// <summary>Kahn's algorithm, taking ready nodes in declaration order; reports cycles by name.</summary>
    private List<PendingNode>? Order(List<PendingNode> pending, Dictionary<string, int> nodeValue)
    {
        var producerOf = new Dictionary<int, PendingNode>();
        foreach (var p in pending) producerOf[nodeValue[p.Decl.Name]] = p;
        var indegree = pending.ToDictionary(p => p, p => p.Inputs.Count(i => producerOf.ContainsKey(i.Value) && producerOf[i.Value] != p));
        var consumers = pending.ToDictionary(p => p, _ => new List<PendingNode>());
        foreach (var p in pending)
            foreach (var i in p.Inputs)
                if (producerOf.TryGetValue(i.Value, out var prod) && prod != p) consumers[prod].Add(p);
        var order = new List<PendingNode>();
        var done = new HashSet<PendingNode>();
        bool progress = true;
        while (progress)
        {
            progress = false;
            foreach (var p in pending)
            {
                if (done.Contains(p) || indegree[p] != 0) continue;
                done.Add(p);
                order.Add(p);
                foreach (var c in consumers[p]) indegree[c]--;
                progress = true;
                break;
            }
        }
        if (order.Count == pending.Count) return order;

        // Name one cycle: walk from the first unfinished node along unfinished inputs.
        var rest = pending.Where(p => !done.Contains(p)).ToList();
        var start = rest[0];
        var path = new List<PendingNode>();
        var seen = new Dictionary<PendingNode, int>();
        var cur = start;
        while (!seen.ContainsKey(cur))
        {
            seen[cur] = path.Count;
            path.Add(cur);
            cur = cur.Inputs.Select(i => producerOf.GetValueOrDefault(i.Value)).First(q => q is not null && !done.Contains(q))!;
        }
        var cycle = path.Skip(seen[cur]).Select(p => p.Decl.Name).ToList();
        cycle.Add(cur.Decl.Name);
        var at = path[seen[cur]];
        var steps = cycle.Zip(cycle.Skip(1), (a, b) => $"{a} takes {b}");
        _d.Error(Codes.Cycle, at.Decl.NameSpan, $"the network has a cycle: {string.Join(", ", steps)}; no node may depend on its own output");
        return null;
    }

    private void CheckDistributions(PendingNode pn)
    {
        for (int s = 0; s < pn.Op.Inputs.Count; s++)
        {
            if (!pn.Op.Inputs[s].Distribution || s >= pn.Inputs.Count) continue;
            var (vi, r) = pn.Inputs[s];
            var v = _values[vi];
            if (v.Kind != ValueKind.Data || v.Literal is null) continue;
            int cols = v.Shape.Cols, rows = v.Shape.Rows;
            for (int row = 0; row < rows; row++)
            {
                double sum = 0;
                bool negative = false;
                for (int j = 0; j < cols; j++)
                {
                    double y = v.Literal[row * cols + j];
                    negative |= y < 0 || !double.IsFinite(y);
                    sum += y;
                }
                if (negative || Math.Abs(sum - 1) > 1e-6)
                {
                    _d.Error(Codes.NotDistribution, r.Span,
                        $"{pn.Op.Name} '{pn.Decl.Name}': target '{v.Name}' row {row + 1} is not a probability distribution " +
                        $"(values must be >= 0 and sum to 1; it sums to {Format.Number(sum)})");
                    return;
                }
            }
        }
    }

    private (int From, double[]? Seed) BindBackward(Shape?[] shapes)
    {
        if (_spec.Backward is not { } bw) return (-1, null);
        if (!_byName.TryGetValue(bw.From.Name, out var vi))
        {
            if (_spec.IsReported(bw.From.Name)) return (-1, null);
            _d.Error(Codes.UnknownReference, bw.From.Span, $"backward starts from '{YamlClip(bw.From.Name)}', which is not a value of the spec{Suggest.DidYouMean(bw.From.Name, ValueNames)}");
            return (-1, null);
        }
        if (shapes[vi] is not { } shape) return (vi, null);
        if (bw.Grad is null)
        {
            if (shape.Length != 1)
            {
                _d.Error(Codes.ObjectiveNotScalar, bw.From.Span,
                    $"the objective '{bw.From.Name}' is {shape}, not a scalar; backward from a non-scalar node needs an assumed gradient 'grad:' of shape {shape}");
                return (vi, null);
            }
            return (vi, null);
        }
        if (!Fits(bw.Grad, shape))
        {
            _d.Error(Codes.GradShape, bw.Grad.Span, $"the assumed gradient is {Describe(bw.Grad)} but '{bw.From.Name}' is {shape}");
            return (vi, null);
        }
        return (vi, bw.Grad.Values);
    }

    /// <summary>"a number", "a vector of 3" or "2x3": a literal's shape as written.</summary>
    private static string Describe(TensorLiteral lit) => lit.Rank switch
    {
        0 => "a number",
        1 => $"a vector of {lit.Dims[0]}",
        _ => lit.ShapeText,
    };

    /// <summary>Whether a literal as written fits a value's shape (a vector fits a batch of one).</summary>
    public static bool Fits(TensorLiteral lit, Shape shape)
    {
        if (lit.Values.Length != shape.Length) return false;
        if (lit.Rank == shape.Rank) return lit.Dims.AsSpan().SequenceEqual(shape.Dims);
        if (lit.Rank == 1 && shape.Rank == 2) return shape[0] == 1;
        return lit.Values.Length == 1;
    }

    private List<BoundExpectation> BindExpectations(Shape?[] shapes)
    {
        var list = new List<BoundExpectation>();
        var hasBackward = _spec.Backward is not null;
        var steps = _spec.Optimizer is { } o ? (int)o.Steps.Value : 1;
        foreach (var e in _spec.Expectations)
        {
            string kind = e.Kind switch { ExpectKind.Forward => "forward", ExpectKind.Gradient => "gradients", _ => "updated" };
            if (!_byName.TryGetValue(e.Name.Name, out var vi))
            {
                if (_spec.IsReported(e.Name.Name)) continue;
                _d.Error(Codes.ExpectUnknown, e.Name.Span, $"'expect: {kind}' names '{YamlClip(e.Name.Name)}', which is not a value of the spec{Suggest.DidYouMean(e.Name.Name, ValueNames)}");
                continue;
            }
            if (e.Kind == ExpectKind.Gradient && !hasBackward)
            {
                _d.Error(Codes.NoBackward, e.Name.Span, $"gradient of '{e.Name.Name}' is expected, but the spec has no 'backward' section");
                continue;
            }
            if (e.Kind == ExpectKind.Updated)
            {
                if (_values[vi].Kind != ValueKind.Parameter)
                {
                    _d.Error(Codes.NotTrainable, e.Name.Span, $"'{e.Name.Name}' is not a parameter: only parameters are updated");
                    continue;
                }
                if (_spec.Optimizer is null)
                {
                    _d.Error(Codes.ExpectKind, e.Name.Span, $"an updated '{e.Name.Name}' is expected, but the spec has no 'optimizer'");
                    continue;
                }
            }
            if (e.Step > steps)
            {
                _d.Error(Codes.ExpectKind, e.Name.Span, $"the expectation of '{e.Name.Name}' is for step {e.Step}, but the spec runs {steps} step{(steps == 1 ? "" : "s")}");
                continue;
            }
            if (shapes[vi] is { } shape && !Fits(e.Value, shape))
            {
                _d.Error(Codes.ExpectShape, e.Value.Span, $"the expected {(e.Kind == ExpectKind.Gradient ? "gradient of" : "value of")} '{e.Name.Name}' is {Describe(e.Value)} but '{e.Name.Name}' is {shape}");
                continue;
            }
            list.Add(new BoundExpectation(e, vi));
        }
        return list;
    }

    private void WarnUnused(int backwardFrom)
    {
        // Every name a node writes as an argument counts as used, bound or not, so a node
        // refused for another reason does not make its inputs look unused.
        var used = new HashSet<int>();
        foreach (var n in _spec.Network)
            foreach (var a in n.Args)
                foreach (var r in a.Value is ArgList l ? l.Items : [(ArgScalar)a.Value])
                    if (_byName.TryGetValue(r.Text, out var vi)) used.Add(vi);
        if (backwardFrom >= 0) used.Add(backwardFrom);
        var expected = new HashSet<string>(_spec.Expectations.Select(e => e.Name.Name), StringComparer.Ordinal);
        foreach (var v in _values)
        {
            if (used.Contains(v.Index)) continue;
            switch (v.Kind)
            {
                case ValueKind.Data or ValueKind.Parameter:
                    _d.Warning(Codes.UnusedNode, v.Span, $"{(v.Kind == ValueKind.Data ? "data" : "parameter")} '{v.Name}' is not used by any node");
                    break;
                case ValueKind.Node when backwardFrom >= 0 && !expected.Contains(v.Name):
                    _d.Warning(Codes.UnusedNode, v.Span, $"node '{v.Name}' is not used: nothing takes its output and the objective does not depend on it");
                    break;
            }
        }
    }
}
