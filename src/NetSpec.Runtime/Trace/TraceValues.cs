using System.Collections;
using System.Numerics;

namespace NetSpec.Runtime.Trace;

/// <summary>
/// The elements of a traced tensor, read as float64 without copying: a view of the tensor's own
/// float or double array. A view of a live tensor is valid while the event holding it is being
/// emitted; <see cref="Copy"/> keeps the values beyond that.
/// </summary>
public readonly struct TraceValues : IReadOnlyList<double>
{
    private readonly float[]? _singles;
    private readonly double[]? _doubles;

    /// <summary>A view of float64 values.</summary>
    public TraceValues(double[] values) => _doubles = values ?? throw new ArgumentNullException(nameof(values));

    /// <summary>A view of float32 values (each read as the float64 of the same value).</summary>
    public TraceValues(float[] values) => _singles = values ?? throw new ArgumentNullException(nameof(values));

    /// <summary>A view of a tensor's data: no copy for float and double.</summary>
    public static TraceValues Of<T>(T[] data) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(double)) return new TraceValues((double[])(object)data);
        if (typeof(T) == typeof(float)) return new TraceValues((float[])(object)data);
        var copy = new double[data.Length];
        for (int i = 0; i < copy.Length; i++) copy[i] = double.CreateChecked(data[i]);
        return new TraceValues(copy);
    }

    /// <summary>A view of a tensor's data.</summary>
    public static TraceValues Of<T>(Tensor<T> tensor) where T : unmanaged, IFloatingPointIeee754<T> => Of(tensor.Data);

    public static implicit operator TraceValues(double[] values) => new(values);

    /// <summary>The number of elements.</summary>
    public int Length => _singles?.Length ?? _doubles?.Length ?? 0;

    int IReadOnlyCollection<double>.Count => Length;

    /// <summary>Element <paramref name="index"/> (row-major) as float64.</summary>
    public double this[int index] => _singles is { } s ? s[index] : _doubles![index];

    /// <summary>Whether the elements are float32 (read them through <see cref="Singles"/>), else float64 (<see cref="Doubles"/>).</summary>
    public bool IsSingle => _singles is not null;

    /// <summary>The float32 elements; empty when <see cref="IsSingle"/> is false.</summary>
    public ReadOnlySpan<float> Singles => _singles;

    /// <summary>The float64 elements; empty when <see cref="IsSingle"/> is true.</summary>
    public ReadOnlySpan<double> Doubles => _doubles;

    /// <summary>The values in a new array of their own precision: a view that stays as it is.</summary>
    public TraceValues Copy() => _singles is { } s ? new TraceValues((float[])s.Clone()) : new TraceValues((double[])(_doubles ?? []).Clone());

    /// <summary>The values as a new float64 array.</summary>
    public double[] ToArray()
    {
        if (_doubles is { } d) return (double[])d.Clone();
        var r = new double[Length];
        for (int i = 0; i < r.Length; i++) r[i] = _singles![i];
        return r;
    }

    public IEnumerator<double> GetEnumerator()
    {
        for (int i = 0; i < Length; i++) yield return this[i];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
