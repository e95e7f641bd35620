namespace NetSpec.Runtime.Ops;

/// <summary>
/// Every op NetSpec knows, keyed by its YAML name. Adding an op is its file, one line here,
/// a spec and its tests.
/// </summary>
public static class OpRegistry
{
    private static readonly Dictionary<string, Op> ByName = Build(
        new Linear(),
        new Relu(),
        new L2Regularization(),
        new Sum(),
        new L2Loss(),
        new Softmax(),
        new CrossEntropy(),
        new SoftmaxCrossEntropy(),
        new GemmOp(),
        new MatMul(),
        new Add(),
        new Sub(),
        new Mul(),
        new SoftmaxCrossEntropyRows(),
        new ReduceSum(),
        new Sigmoid(),
        new Tanh(),
        new Exp(),
        new Log(),
        new Sqrt(),
        new Neg(),
        new Identity(),
        new LeakyRelu(),
        new Reshape(),
        new Flatten(),
        new Transpose(),
        new Concat(),
        new Pad(),
        new ReduceMean(),
        new BatchNorm(),
        new LayerNorm(),
        new Dropout());

    public static IEnumerable<string> Names => ByName.Keys;

    public static IEnumerable<Op> All => ByName.Values;

    public static Op? Find(string name) => ByName.GetValueOrDefault(name);

    private static Dictionary<string, Op> Build(params Op[] ops)
    {
        var d = new Dictionary<string, Op>(StringComparer.Ordinal);
        foreach (var op in ops) d.Add(op.Name, op);
        return d;
    }
}
