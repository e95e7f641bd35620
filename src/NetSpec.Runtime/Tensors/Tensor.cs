using System.Numerics;

namespace NetSpec.Runtime.Tensors;

/// <summary>A contiguous, row-major tensor with an explicit shape.</summary>
/// <typeparam name="T">float or double.</typeparam>
public sealed class Tensor<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public Tensor(Shape shape) : this(shape, new T[shape.Length]) { }

    public Tensor(Shape shape, T[] data)
    {
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(data);
        if (data.Length != shape.Length)
            throw new ArgumentException($"{data.Length} values do not fill shape {shape}", nameof(data));
        Shape = shape;
        Data = data;
    }

    public Shape Shape { get; }
    public T[] Data { get; }
    public int Length => Data.Length;
    public Span<T> Span => Data;

    public T this[int i] { get => Data[i]; set => Data[i] = value; }
    public T this[int r, int c] { get => Data[r * Shape.Cols + c]; set => Data[r * Shape.Cols + c] = value; }

    public static Tensor<T> FromDoubles(Shape shape, ReadOnlySpan<double> values)
    {
        var data = new T[values.Length];
        for (int i = 0; i < values.Length; i++) data[i] = T.CreateChecked(values[i]);
        return new Tensor<T>(shape, data);
    }

    public double[] ToDoubles()
    {
        var r = new double[Data.Length];
        for (int i = 0; i < r.Length; i++) r[i] = double.CreateChecked(Data[i]);
        return r;
    }

    public Tensor<T> Clone() => new(Shape, (T[])Data.Clone());

    public void Clear() => Array.Clear(Data);
}
