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
    public sealed record State(int EpochsDone, int Steps, double Best, int Bad, bool Stopped, IReadOnlyList<EpochMetrics> History);

    internal static void Write<T>(string path, NetworkGraph graph, Optimizer<T> optimizer,
        IReadOnlyList<(string Name, Tensor<T> Value)> parameters, State state)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        try
        {
            AtomicFile.Write(path, w =>
            {
                w.WriteStartObject();
                w.WriteString("format", Format);
                w.WriteNumber("version", 1);
                w.WriteString("spec", graph.Spec.Name);
                w.WriteString("dtype", ParameterFile.DTypeName<T>());
                w.WriteNumber("epochs_done", state.EpochsDone);
                w.WriteNumber("steps", state.Steps);
                w.WriteNumber("optimizer_updates", optimizer.Updates);
                w.WriteBoolean("stopped_early", state.Stopped);
                w.WriteStartObject("early_stopping");
                if (double.IsFinite(state.Best)) w.WriteNumber("best_validation_loss", state.Best);
                else w.WriteNull("best_validation_loss");
                w.WriteNumber("epochs_without_improvement", state.Bad);
                w.WriteEndObject();
                ParameterFile.WriteParameters(w, parameters);
                w.WriteStartObject("optimizer_state");
                foreach (var v in graph.Values)
                {
                    if (v.Kind != ValueKind.Parameter) continue;
                    if (optimizer.First[v.Index] is null && optimizer.Second[v.Index] is null) continue;
                    w.WriteStartObject(v.Name);
                    if (optimizer.First[v.Index] is { } m) ParameterFile.WriteNumbers<T>(w, "first", m);
                    if (optimizer.Second[v.Index] is { } s) ParameterFile.WriteNumbers<T>(w, "second", s);
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

    private static void Optional(Utf8JsonWriter w, string name, double? v)
    {
        if (v is { } x) w.WriteNumber(name, x);
    }

    /// <summary>Restores parameters and optimizer state in place and returns the loop's state.</summary>
    internal static State Read<T>(string path, NetworkGraph graph, Optimizer<T> optimizer, Interpreter<T> interp)
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
            var early = r.GetProperty("early_stopping");
            var bestEl = early.GetProperty("best_validation_loss");
            double best = bestEl.ValueKind == JsonValueKind.Null ? double.PositiveInfinity : bestEl.GetDouble();
            var history = new List<EpochMetrics>();
            foreach (var h in r.GetProperty("history").EnumerateArray())
            {
                static double? Opt(JsonElement e, string n) => e.TryGetProperty(n, out var x) ? x.GetDouble() : null;
                history.Add(new EpochMetrics(h.GetProperty("epoch").GetInt32(), h.GetProperty("train_loss").GetDouble(),
                    Opt(h, "train_accuracy"), Opt(h, "validation_loss"), Opt(h, "validation_accuracy"),
                    h.GetProperty("learning_rate").GetDouble(), h.GetProperty("seconds").GetDouble()));
            }
            return new State(r.GetProperty("epochs_done").GetInt32(), r.GetProperty("steps").GetInt32(), best,
                early.GetProperty("epochs_without_improvement").GetInt32(), r.GetProperty("stopped_early").GetBoolean(), history);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or IOException or UnauthorizedAccessException)
        {
            throw new TrainingFileException($"cannot resume from the checkpoint {path}: {Excerpt.Message(e.Message)}", e);
        }
    }
}
