using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using NetSpec.Runtime.Graph;

namespace NetSpec.Runtime.Training;

/// <summary>
/// What a checkpoint resumes: a SHA-256 over everything that decides a training run's numbers,
/// and nothing else. In: the element type; every value (kind, name, shape, literal values,
/// initializer and seed); every node (name, op, inputs, attributes); where backward starts; the
/// optimizer and its settings; epochs, batch size, shuffling, seed and early stopping; and every
/// sample of every split as loaded. Out: names, descriptions, comments, expectations, where
/// outputs and traces go, how often checkpoints are written. A checkpoint whose identity differs
/// would not end where an uninterrupted run of this spec ends, so resuming from it is refused
/// unless a warm start is asked for.
/// </summary>
public static class RunIdentity
{
    public static string Of(NetworkGraph graph, LoadedDataset data, string dtype)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(data);
        using var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void Add(string s) => h.AppendData(Encoding.UTF8.GetBytes(s + "\n"));
        void Numbers(ReadOnlySpan<double> v)
        {
            Add($"#{v.Length}");
            // Each value's 8 bytes as BitConverter writes them (the machine's byte order): the
            // span's own bytes, hashed in one call (8 bytes per call cost more than the hashing).
            h.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(v));
        }
        string N(double x) => x.ToString("R", CultureInfo.InvariantCulture);

        Add("netspec-run-identity 1");
        Add("dtype " + dtype);
        foreach (var v in graph.Values)
        {
            Add($"value {v.Kind} {v.Name} {v.Shape}");
            if (v.Kind == ValueKind.Data) continue; // the dataset's values come below; inline data is in the literal
            if (v.Literal is { } lit) Numbers(lit);
            if (v.Init is { } init)
                Add($"init {init.Kind.Name} [{string.Join(",", init.Shape)}] seed {init.Seed} " +
                    string.Join(" ", init.Options.OrderBy(o => o.Key, StringComparer.Ordinal).Select(o => $"{o.Key}={N(o.Value.Value)}")));
        }
        foreach (var n in graph.Nodes)
            Add($"node {n.Name} {n.Op.Name} ({string.Join(",", n.Inputs.Select(i => graph.Values[i].Name))}) {string.Join(" ", n.AttributeText)}");
        Add($"backward {graph.BackwardFrom}");
        if (graph.SeedGradient is { } seed) Numbers(seed);
        if (graph.Optimizer is { } o)
        {
            var s = o.Settings;
            Add($"optimizer {o.Type.Name} lr {N(o.LearningRate.Value)} momentum {N(s.Momentum)} nesterov {s.Nesterov} " +
                $"beta1 {N(s.Beta1)} beta2 {N(s.Beta2)} epsilon {N(s.Epsilon)}" +
                (s.Schedule is { } sc ? $" schedule {sc.Type.Name} gamma {N(sc.Gamma)} every {sc.StepSize}" : ""));
        }
        if (graph.Spec.Training is { } t)
            Add($"training epochs {t.Epochs} batch {t.BatchSize} shuffle {t.Shuffle} seed {t.Seed}" +
                (t.EarlyStopping is { } es ? $" early {es.Patience} {N(es.MinDelta)}" : ""));
        foreach (var split in new[] { data.Train, data.Validation, data.Test })
        {
            if (split is null) continue;
            Add($"split {split.Name} {split.Rows}");
            Numbers(split.Features);
            Numbers(split.Targets);
        }
        return "sha256:" + Convert.ToHexStringLower(h.GetHashAndReset());
    }
}
