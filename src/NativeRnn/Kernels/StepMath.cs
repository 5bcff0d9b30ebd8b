using System.ComponentModel;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace NativeRnn.Kernels;

// The vocabulary of the generated step kernels, one class per vector width. The generator writes each
// layer's step as straight-line code in these terms, with every size and offset a constant; the calls
// are AggressiveInlining, so each compiles to one or a few instructions. The generated code names a
// closed type through an alias (StepMath512<float>), which is why the static members sit on generic types.
#pragma warning disable CA1000

/// <summary>Operations of the generated step kernels on 512-bit vectors (AVX-512).</summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class StepMath512<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <summary>Whether this width runs on hardware (a constant to the JIT).</summary>
    public static bool IsAccelerated => Simd512<T>.IsAccelerated;

    /// <summary>All lanes zero.</summary>
    public static Vector512<T> Zero => Vector512<T>.Zero;

    /// <summary>All lanes one.</summary>
    public static Vector512<T> One => Vector512<T>.One;

    /// <summary>Loads the vector at <paramref name="source"/> + <paramref name="offset"/>.</summary>
    /// <param name="source">The base element.</param>
    /// <param name="offset">Elements past <paramref name="source"/>.</param>
    /// <returns>The vector.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Load(ref T source, nint offset) => Vector512.LoadUnsafe(ref source, (nuint)offset);

    /// <summary>Stores <paramref name="value"/> at <paramref name="destination"/> + <paramref name="offset"/>.</summary>
    /// <param name="value">The vector.</param>
    /// <param name="destination">The base element.</param>
    /// <param name="offset">Elements past <paramref name="destination"/>.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector512<T> value, ref T destination, nint offset) => value.StoreUnsafe(ref destination, (nuint)offset);

    /// <summary>Every lane set to the element at <paramref name="source"/> + <paramref name="offset"/>.</summary>
    /// <param name="source">The base element.</param>
    /// <param name="offset">Elements past <paramref name="source"/>.</param>
    /// <returns>The vector.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Broadcast(ref T source, nint offset) => Vector512.Create(Unsafe.Add(ref source, offset));

    /// <summary><c>a·b + c</c>, fused where the hardware fuses.</summary>
    /// <param name="a">First factor.</param>
    /// <param name="b">Second factor.</param>
    /// <param name="c">Addend.</param>
    /// <returns>The result.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Fma(Vector512<T> a, Vector512<T> b, Vector512<T> c) => Simd512<T>.MultiplyAdd(a, b, c);

    /// <summary><c>σ(x)</c> (see <see cref="Activations"/> for the accuracy).</summary>
    /// <param name="x">The argument.</param>
    /// <returns>The result.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Sigmoid(Vector512<T> x) => SigmoidOperator<T>.Invoke<Simd512<T>, Vector512<T>>(x);

    /// <summary><c>tanh x</c> (see <see cref="Activations"/> for the accuracy).</summary>
    /// <param name="x">The argument.</param>
    /// <returns>The result.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Tanh(Vector512<T> x) => TanhOperator<T>.Invoke<Simd512<T>, Vector512<T>>(x);

    /// <summary><c>max(x, 0)</c>.</summary>
    /// <param name="x">The argument.</param>
    /// <returns>The result.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Relu(Vector512<T> x) => ReluOperator<T>.Invoke<Simd512<T>, Vector512<T>>(x);
}

/// <summary>Operations of the generated step kernels on 256-bit vectors (AVX2 + FMA).</summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class StepMath256<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <summary>Whether this width runs on hardware (a constant to the JIT).</summary>
    public static bool IsAccelerated => Simd256<T>.IsAccelerated;

    /// <summary>All lanes zero.</summary>
    public static Vector256<T> Zero => Vector256<T>.Zero;

    /// <summary>All lanes one.</summary>
    public static Vector256<T> One => Vector256<T>.One;

    /// <summary>Loads the vector at <paramref name="source"/> + <paramref name="offset"/>.</summary>
    /// <param name="source">The base element.</param>
    /// <param name="offset">Elements past <paramref name="source"/>.</param>
    /// <returns>The vector.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Load(ref T source, nint offset) => Vector256.LoadUnsafe(ref source, (nuint)offset);

    /// <summary>Stores <paramref name="value"/> at <paramref name="destination"/> + <paramref name="offset"/>.</summary>
    /// <param name="value">The vector.</param>
    /// <param name="destination">The base element.</param>
    /// <param name="offset">Elements past <paramref name="destination"/>.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector256<T> value, ref T destination, nint offset) => value.StoreUnsafe(ref destination, (nuint)offset);

    /// <summary>Every lane set to the element at <paramref name="source"/> + <paramref name="offset"/>.</summary>
    /// <param name="source">The base element.</param>
    /// <param name="offset">Elements past <paramref name="source"/>.</param>
    /// <returns>The vector.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Broadcast(ref T source, nint offset) => Vector256.Create(Unsafe.Add(ref source, offset));

    /// <summary><c>a·b + c</c>, fused where the hardware fuses.</summary>
    /// <param name="a">First factor.</param>
    /// <param name="b">Second factor.</param>
    /// <param name="c">Addend.</param>
    /// <returns>The result.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Fma(Vector256<T> a, Vector256<T> b, Vector256<T> c) => Simd256<T>.MultiplyAdd(a, b, c);

    /// <summary><c>σ(x)</c> (see <see cref="Activations"/> for the accuracy).</summary>
    /// <param name="x">The argument.</param>
    /// <returns>The result.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Sigmoid(Vector256<T> x) => SigmoidOperator<T>.Invoke<Simd256<T>, Vector256<T>>(x);

    /// <summary><c>tanh x</c> (see <see cref="Activations"/> for the accuracy).</summary>
    /// <param name="x">The argument.</param>
    /// <returns>The result.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Tanh(Vector256<T> x) => TanhOperator<T>.Invoke<Simd256<T>, Vector256<T>>(x);

    /// <summary><c>max(x, 0)</c>.</summary>
    /// <param name="x">The argument.</param>
    /// <returns>The result.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Relu(Vector256<T> x) => ReluOperator<T>.Invoke<Simd256<T>, Vector256<T>>(x);
}

/// <summary>Operations of the generated step kernels on 128-bit vectors (SSE, AdvSimd on ARM64).</summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class StepMath128<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <summary>Whether this width runs on hardware (a constant to the JIT).</summary>
    public static bool IsAccelerated => Simd128<T>.IsAccelerated;

    /// <summary>All lanes zero.</summary>
    public static Vector128<T> Zero => Vector128<T>.Zero;

    /// <summary>All lanes one.</summary>
    public static Vector128<T> One => Vector128<T>.One;

    /// <summary>Loads the vector at <paramref name="source"/> + <paramref name="offset"/>.</summary>
    /// <param name="source">The base element.</param>
    /// <param name="offset">Elements past <paramref name="source"/>.</param>
    /// <returns>The vector.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Load(ref T source, nint offset) => Vector128.LoadUnsafe(ref source, (nuint)offset);

    /// <summary>Stores <paramref name="value"/> at <paramref name="destination"/> + <paramref name="offset"/>.</summary>
    /// <param name="value">The vector.</param>
    /// <param name="destination">The base element.</param>
    /// <param name="offset">Elements past <paramref name="destination"/>.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector128<T> value, ref T destination, nint offset) => value.StoreUnsafe(ref destination, (nuint)offset);

    /// <summary>Every lane set to the element at <paramref name="source"/> + <paramref name="offset"/>.</summary>
    /// <param name="source">The base element.</param>
    /// <param name="offset">Elements past <paramref name="source"/>.</param>
    /// <returns>The vector.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Broadcast(ref T source, nint offset) => Vector128.Create(Unsafe.Add(ref source, offset));

    /// <summary><c>a·b + c</c>, fused where the hardware fuses.</summary>
    /// <param name="a">First factor.</param>
    /// <param name="b">Second factor.</param>
    /// <param name="c">Addend.</param>
    /// <returns>The result.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Fma(Vector128<T> a, Vector128<T> b, Vector128<T> c) => Simd128<T>.MultiplyAdd(a, b, c);

    /// <summary><c>σ(x)</c> (see <see cref="Activations"/> for the accuracy).</summary>
    /// <param name="x">The argument.</param>
    /// <returns>The result.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Sigmoid(Vector128<T> x) => SigmoidOperator<T>.Invoke<Simd128<T>, Vector128<T>>(x);

    /// <summary><c>tanh x</c> (see <see cref="Activations"/> for the accuracy).</summary>
    /// <param name="x">The argument.</param>
    /// <returns>The result.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Tanh(Vector128<T> x) => TanhOperator<T>.Invoke<Simd128<T>, Vector128<T>>(x);

    /// <summary><c>max(x, 0)</c>.</summary>
    /// <param name="x">The argument.</param>
    /// <returns>The result.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Relu(Vector128<T> x) => ReluOperator<T>.Invoke<Simd128<T>, Vector128<T>>(x);
}

/// <summary>Operations of the generated step kernels on single elements (remainders and machines without SIMD).</summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class StepMath1<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <summary>Zero.</summary>
    public static T Zero => T.Zero;

    /// <summary>One.</summary>
    public static T One => T.One;

    /// <summary>The element at <paramref name="source"/> + <paramref name="offset"/>.</summary>
    /// <param name="source">The base element.</param>
    /// <param name="offset">Elements past <paramref name="source"/>.</param>
    /// <returns>The element.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Load(ref T source, nint offset) => Unsafe.Add(ref source, offset);

    /// <summary>Stores <paramref name="value"/> at <paramref name="destination"/> + <paramref name="offset"/>.</summary>
    /// <param name="value">The value.</param>
    /// <param name="destination">The base element.</param>
    /// <param name="offset">Elements past <paramref name="destination"/>.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(T value, ref T destination, nint offset) => Unsafe.Add(ref destination, offset) = value;

    /// <summary>The element at <paramref name="source"/> + <paramref name="offset"/> (the scalar form of a broadcast).</summary>
    /// <param name="source">The base element.</param>
    /// <param name="offset">Elements past <paramref name="source"/>.</param>
    /// <returns>The element.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Broadcast(ref T source, nint offset) => Unsafe.Add(ref source, offset);

    /// <summary><c>a·b + c</c>.</summary>
    /// <param name="a">First factor.</param>
    /// <param name="b">Second factor.</param>
    /// <param name="c">Addend.</param>
    /// <returns>The result.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Fma(T a, T b, T c) => SimdScalar<T>.MultiplyAdd(a, b, c);

    /// <summary><c>σ(x)</c>.</summary>
    /// <param name="x">The argument.</param>
    /// <returns>The result.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Sigmoid(T x) => SigmoidOperator<T>.Invoke<SimdScalar<T>, T>(x);

    /// <summary><c>tanh x</c>.</summary>
    /// <param name="x">The argument.</param>
    /// <returns>The result.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Tanh(T x) => TanhOperator<T>.Invoke<SimdScalar<T>, T>(x);

    /// <summary><c>max(x, 0)</c>.</summary>
    /// <param name="x">The argument.</param>
    /// <returns>The result.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Relu(T x) => ReluOperator<T>.Invoke<SimdScalar<T>, T>(x);
}
