using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace NativeRnn.Kernels;

/// <summary>
/// Double-precision <c>e^x</c> for the vector widths of .NET 8, whose runtime has no vectorised
/// <c>Exp</c>: <c>e^x = 2^n · e^r</c> with <c>n = round(x·log₂e)</c> (by adding 1.5·2⁵², which leaves
/// <c>n</c> in the low mantissa bits), <c>r = x − n·ln 2</c> (fdlibm's two-part ln 2, so the reduction
/// is exact) and <c>e^r = 1 + r + r²·P(r)</c>, the Taylor series to degree 13 (truncation below 10⁻¹⁷
/// on <c>|r| ≤ ln2/2</c>), evaluated by Estrin's scheme. <c>2^n</c> is applied as two factors
/// <c>2^⌊n/2⌉ · 2^(n − ⌊n/2⌉)</c>, each a normal number, so results that overflow become ∞ and results
/// in the subnormal range round once, as <see cref="System.Math.Exp"/> does.
/// </summary>
/// <remarks>
/// Within 1 ulp of the correctly rounded value over the whole range (the tests compare it with
/// <see cref="System.Math.Exp"/> on every runtime); NaN stays NaN, −∞ gives 0 and +∞ gives ∞.
/// .NET 9 and later use the runtime's own vectorised <c>Exp</c> instead (see <see cref="VectorCompat"/>).
/// </remarks>
internal static class DoubleExp
{
    private const double Log2E = 1.4426950408889634;

    /// <summary>fdlibm's <c>ln2_hi</c>: its low 32 bits are zero, so <c>n · Ln2High</c> is exact.</summary>
    private const double Ln2High = 6.93147180369123816490e-01;

    private const double Ln2Low = 1.90821492927058770002e-10;

    /// <summary>1.5·2⁵²: adding it rounds a double below 2⁵¹ in magnitude to an integer, held in the low mantissa bits.</summary>
    private const double RoundingBias = 6755399441055744.0;

    /// <summary>Below about −745.13 <c>e^x</c> rounds to 0; the clamp keeps both halves of <c>n</c> normal exponents.</summary>
    private const double Low = -746.0;

    /// <summary>Above about 709.78 <c>e^x</c> overflows.</summary>
    private const double High = 710.0;

    private const long ExponentBias = 1023;
    private const double C2 = 1.0 / 2;
    private const double C3 = 1.0 / 6;
    private const double C4 = 1.0 / 24;
    private const double C5 = 1.0 / 120;
    private const double C6 = 1.0 / 720;
    private const double C7 = 1.0 / 5040;
    private const double C8 = 1.0 / 40320;
    private const double C9 = 1.0 / 362880;
    private const double C10 = 1.0 / 3628800;
    private const double C11 = 1.0 / 39916800;
    private const double C12 = 1.0 / 479001600;
    private const double C13 = 1.0 / 6227020800;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> Exp(Vector512<double> x)
    {
        // The value being clamped goes second, so NaN stays NaN (see VectorCompat).
        x = VectorCompat.MinNative(Vector512.Create(High), VectorCompat.MaxNative(Vector512.Create(Low), x));
        Vector512<double> bias = Vector512.Create(RoundingBias);
        Vector512<double> biased = Simd512<double>.MultiplyAdd(x, Vector512.Create(Log2E), bias);
        Vector512<double> n = biased - bias;
        Vector512<double> r = Simd512<double>.MultiplyAdd(n, Vector512.Create(-Ln2High), x);
        r = Simd512<double>.MultiplyAdd(n, Vector512.Create(-Ln2Low), r);

        // P(r) = C2 + C3 r + … + C13 r¹¹ by Estrin's scheme.
        Vector512<double> r2 = r * r;
        Vector512<double> r4 = r2 * r2;
        Vector512<double> a0 = Simd512<double>.MultiplyAdd(Vector512.Create(C3), r, Vector512.Create(C2));
        Vector512<double> a1 = Simd512<double>.MultiplyAdd(Vector512.Create(C5), r, Vector512.Create(C4));
        Vector512<double> a2 = Simd512<double>.MultiplyAdd(Vector512.Create(C7), r, Vector512.Create(C6));
        Vector512<double> a3 = Simd512<double>.MultiplyAdd(Vector512.Create(C9), r, Vector512.Create(C8));
        Vector512<double> a4 = Simd512<double>.MultiplyAdd(Vector512.Create(C11), r, Vector512.Create(C10));
        Vector512<double> a5 = Simd512<double>.MultiplyAdd(Vector512.Create(C13), r, Vector512.Create(C12));
        Vector512<double> b0 = Simd512<double>.MultiplyAdd(a1, r2, a0);
        Vector512<double> b1 = Simd512<double>.MultiplyAdd(a3, r2, a2);
        Vector512<double> b2 = Simd512<double>.MultiplyAdd(a5, r2, a4);
        Vector512<double> p = Simd512<double>.MultiplyAdd(Simd512<double>.MultiplyAdd(b2, r4, b1), r4, b0);
        Vector512<double> e = Simd512<double>.MultiplyAdd(r2, p, r) + Vector512<double>.One;

        // 2^n = 2^h · 2^(n − h) with h = round(n/2): each exponent field is (k + 1023) in the top 12 bits,
        // and the low bits of a biased integer are the integer itself (1.5·2⁵² is 0 modulo 2¹²).
        Vector512<double> halfBiased = Simd512<double>.MultiplyAdd(n, Vector512.Create(0.5), bias);
        Vector512<double> restBiased = (n - (halfBiased - bias)) + bias;
        Vector512<long> exponentBias = Vector512.Create(ExponentBias);
        Vector512<double> halfScale = ((halfBiased.AsInt64() + exponentBias) << 52).AsDouble();
        Vector512<double> restScale = ((restBiased.AsInt64() + exponentBias) << 52).AsDouble();
        return e * halfScale * restScale;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> Exp(Vector256<double> x)
    {
        // The value being clamped goes second, so NaN stays NaN (see VectorCompat).
        x = VectorCompat.MinNative(Vector256.Create(High), VectorCompat.MaxNative(Vector256.Create(Low), x));
        Vector256<double> bias = Vector256.Create(RoundingBias);
        Vector256<double> biased = Simd256<double>.MultiplyAdd(x, Vector256.Create(Log2E), bias);
        Vector256<double> n = biased - bias;
        Vector256<double> r = Simd256<double>.MultiplyAdd(n, Vector256.Create(-Ln2High), x);
        r = Simd256<double>.MultiplyAdd(n, Vector256.Create(-Ln2Low), r);

        // P(r) = C2 + C3 r + … + C13 r¹¹ by Estrin's scheme.
        Vector256<double> r2 = r * r;
        Vector256<double> r4 = r2 * r2;
        Vector256<double> a0 = Simd256<double>.MultiplyAdd(Vector256.Create(C3), r, Vector256.Create(C2));
        Vector256<double> a1 = Simd256<double>.MultiplyAdd(Vector256.Create(C5), r, Vector256.Create(C4));
        Vector256<double> a2 = Simd256<double>.MultiplyAdd(Vector256.Create(C7), r, Vector256.Create(C6));
        Vector256<double> a3 = Simd256<double>.MultiplyAdd(Vector256.Create(C9), r, Vector256.Create(C8));
        Vector256<double> a4 = Simd256<double>.MultiplyAdd(Vector256.Create(C11), r, Vector256.Create(C10));
        Vector256<double> a5 = Simd256<double>.MultiplyAdd(Vector256.Create(C13), r, Vector256.Create(C12));
        Vector256<double> b0 = Simd256<double>.MultiplyAdd(a1, r2, a0);
        Vector256<double> b1 = Simd256<double>.MultiplyAdd(a3, r2, a2);
        Vector256<double> b2 = Simd256<double>.MultiplyAdd(a5, r2, a4);
        Vector256<double> p = Simd256<double>.MultiplyAdd(Simd256<double>.MultiplyAdd(b2, r4, b1), r4, b0);
        Vector256<double> e = Simd256<double>.MultiplyAdd(r2, p, r) + Vector256<double>.One;

        // 2^n = 2^h · 2^(n − h) with h = round(n/2): each exponent field is (k + 1023) in the top 12 bits,
        // and the low bits of a biased integer are the integer itself (1.5·2⁵² is 0 modulo 2¹²).
        Vector256<double> halfBiased = Simd256<double>.MultiplyAdd(n, Vector256.Create(0.5), bias);
        Vector256<double> restBiased = (n - (halfBiased - bias)) + bias;
        Vector256<long> exponentBias = Vector256.Create(ExponentBias);
        Vector256<double> halfScale = ((halfBiased.AsInt64() + exponentBias) << 52).AsDouble();
        Vector256<double> restScale = ((restBiased.AsInt64() + exponentBias) << 52).AsDouble();
        return e * halfScale * restScale;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<double> Exp(Vector128<double> x)
    {
        // The value being clamped goes second, so NaN stays NaN (see VectorCompat).
        x = VectorCompat.MinNative(Vector128.Create(High), VectorCompat.MaxNative(Vector128.Create(Low), x));
        Vector128<double> bias = Vector128.Create(RoundingBias);
        Vector128<double> biased = Simd128<double>.MultiplyAdd(x, Vector128.Create(Log2E), bias);
        Vector128<double> n = biased - bias;
        Vector128<double> r = Simd128<double>.MultiplyAdd(n, Vector128.Create(-Ln2High), x);
        r = Simd128<double>.MultiplyAdd(n, Vector128.Create(-Ln2Low), r);

        // P(r) = C2 + C3 r + … + C13 r¹¹ by Estrin's scheme.
        Vector128<double> r2 = r * r;
        Vector128<double> r4 = r2 * r2;
        Vector128<double> a0 = Simd128<double>.MultiplyAdd(Vector128.Create(C3), r, Vector128.Create(C2));
        Vector128<double> a1 = Simd128<double>.MultiplyAdd(Vector128.Create(C5), r, Vector128.Create(C4));
        Vector128<double> a2 = Simd128<double>.MultiplyAdd(Vector128.Create(C7), r, Vector128.Create(C6));
        Vector128<double> a3 = Simd128<double>.MultiplyAdd(Vector128.Create(C9), r, Vector128.Create(C8));
        Vector128<double> a4 = Simd128<double>.MultiplyAdd(Vector128.Create(C11), r, Vector128.Create(C10));
        Vector128<double> a5 = Simd128<double>.MultiplyAdd(Vector128.Create(C13), r, Vector128.Create(C12));
        Vector128<double> b0 = Simd128<double>.MultiplyAdd(a1, r2, a0);
        Vector128<double> b1 = Simd128<double>.MultiplyAdd(a3, r2, a2);
        Vector128<double> b2 = Simd128<double>.MultiplyAdd(a5, r2, a4);
        Vector128<double> p = Simd128<double>.MultiplyAdd(Simd128<double>.MultiplyAdd(b2, r4, b1), r4, b0);
        Vector128<double> e = Simd128<double>.MultiplyAdd(r2, p, r) + Vector128<double>.One;

        // 2^n = 2^h · 2^(n − h) with h = round(n/2): each exponent field is (k + 1023) in the top 12 bits,
        // and the low bits of a biased integer are the integer itself (1.5·2⁵² is 0 modulo 2¹²).
        Vector128<double> halfBiased = Simd128<double>.MultiplyAdd(n, Vector128.Create(0.5), bias);
        Vector128<double> restBiased = (n - (halfBiased - bias)) + bias;
        Vector128<long> exponentBias = Vector128.Create(ExponentBias);
        Vector128<double> halfScale = ((halfBiased.AsInt64() + exponentBias) << 52).AsDouble();
        Vector128<double> restScale = ((restBiased.AsInt64() + exponentBias) << 52).AsDouble();
        return e * halfScale * restScale;
    }
}
