using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace NativeRnn.Kernels;

/// <summary>
/// Single-precision <c>e^x</c> without widening to double: <c>e^x = 2^n · e^r</c> with
/// <c>n = round(x·log₂e)</c>, <c>r = x − n·ln 2</c> (ln 2 split in two for exactness) and a degree-7
/// polynomial for <c>e^r</c> on <c>|r| ≤ ln2/2</c> (Cephes' <c>expf</c> coefficients). Relative error
/// ≤ 2 ulp on the clamped range <c>[−87.3, 88.7]</c>; inputs beyond it saturate to the ends of the range,
/// which is all the activations need (the tests check the activations against <see cref="System.Math"/>).
/// The clamps take NaN from their second operand, so NaN stays NaN.
/// </summary>
internal static class FastExp
{
    private const float Log2E = 1.44269504088896341f;
    private const float Ln2High = 0.693359375f;
    private const float Ln2Low = -2.12194440e-4f;
    private const float Low = -87.3365447f;
    private const float High = 88.7228391f;
    private const float C1 = 1.9875691500e-4f;
    private const float C2 = 1.3981999507e-3f;
    private const float C3 = 8.3334519073e-3f;
    private const float C4 = 4.1665795894e-2f;
    private const float C5 = 1.6666665459e-1f;
    private const float C6 = 5.0000001201e-1f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exp(Vector512<float> x)
    {
        x = VectorCompat.MinNative(Vector512.Create(High), VectorCompat.MaxNative(Vector512.Create(Low), x));
        Vector512<float> n = VectorCompat.Round(x * Vector512.Create(Log2E));
        Vector512<float> r = Simd512<float>.MultiplyAdd(n, Vector512.Create(-Ln2High), x);
        r = Simd512<float>.MultiplyAdd(n, Vector512.Create(-Ln2Low), r);
        Vector512<float> p = Simd512<float>.MultiplyAdd(Vector512.Create(C1), r, Vector512.Create(C2));
        p = Simd512<float>.MultiplyAdd(p, r, Vector512.Create(C3));
        p = Simd512<float>.MultiplyAdd(p, r, Vector512.Create(C4));
        p = Simd512<float>.MultiplyAdd(p, r, Vector512.Create(C5));
        p = Simd512<float>.MultiplyAdd(p, r, Vector512.Create(C6));
        p = Simd512<float>.MultiplyAdd(p, r * r, r + Vector512<float>.One);
        Vector512<int> scale = (Vector512.ConvertToInt32(n) + Vector512.Create(127)) << 23;
        return p * scale.AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Exp(Vector256<float> x)
    {
        x = VectorCompat.MinNative(Vector256.Create(High), VectorCompat.MaxNative(Vector256.Create(Low), x));
        Vector256<float> n = VectorCompat.Round(x * Vector256.Create(Log2E));
        Vector256<float> r = Simd256<float>.MultiplyAdd(n, Vector256.Create(-Ln2High), x);
        r = Simd256<float>.MultiplyAdd(n, Vector256.Create(-Ln2Low), r);
        Vector256<float> p = Simd256<float>.MultiplyAdd(Vector256.Create(C1), r, Vector256.Create(C2));
        p = Simd256<float>.MultiplyAdd(p, r, Vector256.Create(C3));
        p = Simd256<float>.MultiplyAdd(p, r, Vector256.Create(C4));
        p = Simd256<float>.MultiplyAdd(p, r, Vector256.Create(C5));
        p = Simd256<float>.MultiplyAdd(p, r, Vector256.Create(C6));
        p = Simd256<float>.MultiplyAdd(p, r * r, r + Vector256<float>.One);
        Vector256<int> scale = (Vector256.ConvertToInt32(n) + Vector256.Create(127)) << 23;
        return p * scale.AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Exp(Vector128<float> x)
    {
        x = VectorCompat.MinNative(Vector128.Create(High), VectorCompat.MaxNative(Vector128.Create(Low), x));
        Vector128<float> n = VectorCompat.Round(x * Vector128.Create(Log2E));
        Vector128<float> r = Simd128<float>.MultiplyAdd(n, Vector128.Create(-Ln2High), x);
        r = Simd128<float>.MultiplyAdd(n, Vector128.Create(-Ln2Low), r);
        Vector128<float> p = Simd128<float>.MultiplyAdd(Vector128.Create(C1), r, Vector128.Create(C2));
        p = Simd128<float>.MultiplyAdd(p, r, Vector128.Create(C3));
        p = Simd128<float>.MultiplyAdd(p, r, Vector128.Create(C4));
        p = Simd128<float>.MultiplyAdd(p, r, Vector128.Create(C5));
        p = Simd128<float>.MultiplyAdd(p, r, Vector128.Create(C6));
        p = Simd128<float>.MultiplyAdd(p, r * r, r + Vector128<float>.One);
        Vector128<int> scale = (Vector128.ConvertToInt32(n) + Vector128.Create(127)) << 23;
        return p * scale.AsSingle();
    }
}
