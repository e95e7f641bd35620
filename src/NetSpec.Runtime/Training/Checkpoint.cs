using System.Numerics;
using System.Text.Json;
using NetSpec.Parser.Diagnostics;
using NetSpec.Runtime.Execution;
using NetSpec.Runtime.Graph;

namespace NetSpec.Runtime.Training;

/// <summary>
/// A training checkpoint: everything a resumed run needs to continue bit for bit as if it had
/// never stopped. The parameters and the optimizer's state (momentum, Adam's moments and step
/// count) in exact round-trip form, the epochs and steps done, the metric history and the
/// early-stopping state. The shuffling needs no state: each epoch's order is a function of
/// (seed, epoch). Written atomically (temporary file, then rename).
/// </summary>
public static class Checkpoint
{
    public const string Format = "netspec-checkpoint";

    /// <summary>The loop's state after <paramref name="EpochsDone"/> epochs.</summary>
    public sealed record State(int EpochsDone, int Steps, double Best, int Bad, bool Stopped, IReadOnlyList<EpochMetrics> History)
    {
        /// <summary>The epoch whose parameters are kept as the best (0: none kept).</summary>
        public int BestEpoch { get; init; }

        /// <summary>The plateau schedule's state: next learning rate, best loss, bad epochs, cooldown left.</summary>
        public (double LearningRate, double Best, int Bad, int CooldownLeft)? Plateau { get; init; }

        /// <summary>The divergence watch's state: average, batches, best smoothed loss.</summary>
        public (double Average, long Count, double Best)? Divergence { get; init; }
    }

    /// <summary>
    /// What a checkpoint holds that training goes on changing (the parameters, the best epoch's
    /// parameters, the optimizer's state and update count), copied when the checkpoint is taken,
    /// so that it can be written on another thread while the next epoch trains. Taking the next
    /// one reuses the arrays: the previous write must have ended.
    /// </summary>
    internal sealed class Snapshot<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public (string Name, Tensor<T> Value)[] Parameters { get; private set; } = [];
        public (string Name, Tensor<T> Value)[]? Best { get; private set; }
        /// <summary>Each parameter with optimizer state, in the graph's order.</summary>
        public (string Name, T[]? First, T[]? Second)[] OptimizerState { get; private set; } = [];
        public long Updates { get; private set; }

        public void Take(NetworkGraph graph, Optimizer<T> optimizer, IReadOnlyList<(string Name, Tensor<T> Value)> parameters,
            IReadOnlyList<(string Name, Tensor<T> Value)>? best)
        {
            Parameters = Copy(Parameters, parameters);
            Best = best is null ? null : Copy(Best ?? [], best);
            var state = new List<(string, T[]?, T[]?)>();
            int k = 0;
            foreach (var v in graph.Values)
            {
                if (v.Kind != ValueKind.Parameter) continue;
                if (optimizer.First[v.Index] is null && optimizer.Second[v.Index] is null) continue;
                var old = k < OptimizerState.Length ? OptimizerState[k] : default;
                state.Add((v.Name, Copy(old.First, optimizer.First[v.Index]), Copy(old.Second, optimizer.Second[v.Index])));
                k++;
            }
            OptimizerState = [.. state];
            Updates = optimizer.Updates;
        }

        private static T[]? Copy(T[]? into, T[]? from)
        {
            if (from is null) return null;
            if (into is null || into.Length != from.Length) return (T[])from.Clone();
            from.CopyTo(into, 0);
            return into;
        }

        private static (string Name, Tensor<T> Value)[] Copy((string Name, Tensor<T> Value)[] into, IReadOnlyList<(string Name, Tensor<T> Value)> from)
        {
            bool same = into.Length == from.Count;
            for (int i = 0; same && i < from.Count; i++) same = into[i].Name == from[i].Name && into[i].Value.Data.Length == from[i].Value.Data.Length;
            if (!same) return [.. from.Select(p => (p.Name, p.Value.Clone()))];
            for (int i = 0; i < from.Count; i++) from[i].Value.Data.CopyTo(into[i].Value.Data, 0);
            return into;
        }
    }

    /// <summary>Writes the checkpoint of <paramref name="snapshot"/> and <paramref name="state"/>; <paramref name="split"/>: large tensors formatted in two halves at once (off when written beside training).</summary>
    internal static void Write<T>(string path, NetworkGraph graph, Snapshot<T> snapshot, State state, string identity, bool split = true)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var parameters = snapshot.Parameters;
        var best = snapshot.Best;
        try
        {
            AtomicFile.Write(path, w =>
            {
                w.WriteStartObject();
                w.WriteString("format", Format);
                w.WriteNumber("version", 1);
                w.WriteString("spec", graph.Spec.Name);
                w.WriteString("dtype", ParameterFile.DTypeName<T>());
                w.WriteString("identity", identity);
                w.WriteNumber("epochs_done", state.EpochsDone);
                w.WriteNumber("steps", state.Steps);
                w.WriteNumber("optimizer_updates", snapshot.Updates);
                w.WriteBoolean("stopped_early", state.Stopped);
                w.WriteStartObject("early_stopping");
                if (double.IsFinite(state.Best)) w.WriteNumber("best_validation_loss", state.Best);
                else w.WriteNull("best_validation_loss");
                w.WriteNumber("epochs_without_improvement", state.Bad);
                w.WriteEndObject();
                if (best is not null && state.BestEpoch > 0)
                {
                    w.WriteStartObject("best");
                    w.WriteNumber("epoch", state.BestEpoch);
                    ParameterFile.WriteParameters(w, best, split);
                    w.WriteEndObject();
                }
                if (state.Plateau is { } pl)
                {
                    w.WriteStartObject("plateau");
                    w.WriteNumber("learning_rate", pl.LearningRate);
                    Finite(w, "best", pl.Best);
                    w.WriteNumber("bad_epochs", pl.Bad);
                    w.WriteNumber("cooldown_left", pl.CooldownLeft);
                    w.WriteEndObject();
                }
                if (state.Divergence is { } dv)
                {
                    w.WriteStartObject("divergence");
                    w.WriteNumber("average", dv.Average);
                    w.WriteNumber("batches", dv.Count);
                    Finite(w, "best", dv.Best);
                    w.WriteEndObject();
                }
                ParameterFile.WriteParameters(w, parameters, split);
                w.WriteStartObject("optimizer_state");
                foreach (var (name, first, second) in snapshot.OptimizerState)
                {
                    w.WriteStartObject(name);
                    if (first is not null) ParameterFile.WriteNumbers<T>(w, "first", first, split);
                    if (second is not null) ParameterFile.WriteNumbers<T>(w, "second", second, split);
                    w.WriteEndObject();
                }
                w.WriteEndObject();
                w.WriteStartArray("history");
                foreach (var h in state.History)
                {
                    w.WriteStartObject();
                    w.WriteNumber("epoch", h.Epoch);
                    w.WriteNumber("train_loss", h.TrainLoss);
                    Optional(w, "train_accuracy", h.TrainAccuracy);
                    Optional(w, "validation_loss", h.ValidationLoss);
                    Optional(w, "validation_accuracy", h.ValidationAccuracy);
                    w.WriteNumber("learning_rate", h.LearningRate);
                    w.WriteNumber("seconds", h.Seconds);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            });
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TrainingFileException($"cannot write the checkpoint {path}: {(e is NetSpec.Parser.Files.OutputFileException o ? o.Reason : Excerpt.Message(e.Message))}", e);
        }
    }

    /// <summary>A number, or null for an infinity (JSON has none).</summary>
    private static void Finite(Utf8JsonWriter w, string name, double v)
    {
        if (double.IsFinite(v)) w.WriteNumber(name, v);
        else w.WriteNull(name);
    }

    private static double FiniteOr(JsonElement e, double infinity) => e.ValueKind == JsonValueKind.Null ? infinity : e.GetDouble();

    private static void Optional(Utf8JsonWriter w, string name, double? v)
    {
        if (v is { } x) w.WriteNumber(name, x);
    }

    /// <summary>Restores parameters and optimizer state in place and returns the loop's state.</summary>
    /// <param name="path">The checkpoint file.</param>
    /// <param name="graph">The run's graph.</param>
    /// <param name="optimizer">Its optimizer, whose state is restored.</param>
    /// <param name="interp">Its interpreter, whose parameters are restored.</param>
    /// <param name="identity">The run's <see cref="RunIdentity"/>: a checkpoint of another spec or other data is refused unless <paramref name="warmStart"/>.</param>
    /// <param name="warmStart">Resume from a checkpoint of another spec or other data; its counters are still checked.</param>
    /// <param name="epochs">The spec's epochs: the checkpoint's counters must lie within them.</param>
    /// <param name="batchesPerEpoch">Optimizer steps per epoch, to check the step counter against the epochs done.</param>
    /// <param name="best">Where the best epoch's parameters go, when the run keeps them and the checkpoint has them.</param>
    internal static State Read<T>(string path, NetworkGraph graph, Optimizer<T> optimizer, Interpreter<T> interp,
        string identity, bool warmStart, int epochs, int batchesPerEpoch, IReadOnlyList<(string Name, Tensor<T> Value)>? best = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        try
        {
            using var doc = JsonDocument.Parse(NetSpec.Parser.Files.SafeFile.ReadAllBytes(path, NetSpec.Parser.Files.SafeFile.MaxDataBytes));
            var r = doc.RootElement;
            if (r.ValueKind != JsonValueKind.Object || !r.TryGetProperty("format", out var f) || f.GetString() != Format)
                throw new FormatException("it is not a NetSpec checkpoint");
            string dtype = r.GetProperty("dtype").GetString() ?? "";
            if (dtype != ParameterFile.DTypeName<T>())
                throw new FormatException($"it was written by a {dtype} run, but the spec computes in {ParameterFile.DTypeName<T>()}");
            if (!warmStart)
            {
                string? theirs = r.TryGetProperty("identity", out var id) && id.ValueKind == JsonValueKind.String ? id.GetString() : null;
                if (theirs is null)
                    throw new FormatException("it carries no run identity (an older checkpoint), so it may belong to another spec or data; --warm-start resumes anyway");
                if (theirs != identity)
                    throw new FormatException($"another spec or other data wrote it (identity {Short(theirs)}, this run's {Short(identity)}), " +
                        "so it would not end as an uninterrupted run; --warm-start resumes anyway");
            }
            int epochsDone = r.GetProperty("epochs_done").GetInt32(), steps = r.GetProperty("steps").GetInt32();
            if (epochsDone < 0 || epochsDone > epochs)
                throw new FormatException($"its epochs_done is {epochsDone}, outside 0 to the spec's {epochs} epochs");
            if (!warmStart && steps != (long)epochsDone * batchesPerEpoch)
                throw new FormatException($"its steps is {steps}, but {epochsDone} epochs of {batchesPerEpoch} batches take {(long)epochsDone * batchesPerEpoch}");
            if (steps < 0) throw new FormatException($"its steps is {steps}, below 0");
            var parameters = r.GetProperty("parameters");
            var state = r.TryGetProperty("optimizer_state", out var os) ? os : default;
            foreach (var v in graph.Values)
            {
                if (v.Kind != ValueKind.Parameter) continue;
                if (!parameters.TryGetProperty(v.Name, out var p))
                    throw new FormatException($"it has no parameter '{v.Name}'");
                int[] shape = [.. p.GetProperty("shape").EnumerateArray().Select(x => x.GetInt32())];
                if (!shape.AsSpan().SequenceEqual(v.Shape.Dims))
                    throw new FormatException($"parameter '{v.Name}' is {string.Join("x", shape)} in it but {v.Shape} in the spec");
                ParameterFile.ReadNumbers<T>(p.GetProperty("values"), interp.ValueAt(v.Index).Data);
                if (optimizer.First[v.Index] is { } m) ParameterFile.ReadNumbers<T>(state.GetProperty(v.Name).GetProperty("first"), m);
                if (optimizer.Second[v.Index] is { } s) ParameterFile.ReadNumbers<T>(state.GetProperty(v.Name).GetProperty("second"), s);
            }
            optimizer.Updates = r.GetProperty("optimizer_updates").GetInt64();
            if (optimizer.Updates < 0) throw new FormatException($"its optimizer_updates is {optimizer.Updates}, below 0");
            var early = r.GetProperty("early_stopping");
            var bestEl = early.GetProperty("best_validation_loss");
            double bestLoss = bestEl.ValueKind == JsonValueKind.Null ? double.PositiveInfinity : bestEl.GetDouble();
            var history = new List<EpochMetrics>();
            foreach (var h in r.GetProperty("history").EnumerateArray())
            {
                static double? Opt(JsonElement e, string n) => e.TryGetProperty(n, out var x) ? x.GetDouble() : null;
                history.Add(new EpochMetrics(h.GetProperty("epoch").GetInt32(), h.GetProperty("train_loss").GetDouble(),
                    Opt(h, "train_accuracy"), Opt(h, "validation_loss"), Opt(h, "validation_accuracy"),
                    h.GetProperty("learning_rate").GetDouble(), h.GetProperty("seconds").GetDouble()));
            }
            if (!warmStart && history.Count != epochsDone)
                throw new FormatException($"its history has {history.Count} epochs, but epochs_done is {epochsDone}");
            int bestEpoch = 0;
            if (best is not null && r.TryGetProperty("best", out var b))
            {
                var saved = b.GetProperty("parameters");
                foreach (var (name, tensor) in best)
                    ParameterFile.ReadNumbers<T>(saved.GetProperty(name).GetProperty("values"), tensor.Data);
                bestEpoch = b.GetProperty("epoch").GetInt32();
            }
            (double, double, int, int)? plateau = null;
            if (r.TryGetProperty("plateau", out var pl))
                plateau = (pl.GetProperty("learning_rate").GetDouble(), FiniteOr(pl.GetProperty("best"), double.PositiveInfinity),
                    pl.GetProperty("bad_epochs").GetInt32(), pl.GetProperty("cooldown_left").GetInt32());
            (double, long, double)? divergence = null;
            if (r.TryGetProperty("divergence", out var dv))
                divergence = (dv.GetProperty("average").GetDouble(), dv.GetProperty("batches").GetInt64(), FiniteOr(dv.GetProperty("best"), double.PositiveInfinity));
            return new State(epochsDone, steps, bestLoss,
                early.GetProperty("epochs_without_improvement").GetInt32(), r.GetProperty("stopped_early").GetBoolean(), history)
            {
                BestEpoch = bestEpoch,
                Plateau = plateau,
                Divergence = divergence,
            };
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or IOException or UnauthorizedAccessException)
        {
            throw new TrainingFileException($"cannot resume from the checkpoint {path}: {Excerpt.Message(e.Message)}", e);
        }
    }

    private static string Short(string identity) => identity.StartsWith("sha256:", StringComparison.Ordinal) && identity.Length >= 19 ? identity[7..19] : Excerpt.Clip(identity);
}
