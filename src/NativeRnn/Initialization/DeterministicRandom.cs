using System;

namespace NativeRnn.Initialization;

/// <summary>
/// A small deterministic random generator (xoshiro256**, seeded through SplitMix64). The same seed
/// and stream give the same numbers on every machine and runtime version, unlike
/// <see cref="Random"/>, whose algorithm is not a compatibility promise.
/// </summary>
public struct DeterministicRandom
{
    private ulong _s0, _s1, _s2, _s3;

    /// <summary>Creates the stream <paramref name="stream"/> of the generator seeded with <paramref name="seed"/>; different streams are independent.</summary>
    /// <param name="seed">The user's seed.</param>
    /// <param name="stream">A stream number, e.g. the index of the tensor being initialised.</param>
    public DeterministicRandom(ulong seed, ulong stream = 0)
    {
        ulong x = seed ^ (0x9E3779B97F4A7C15UL * (stream + 1));
        _s0 = SplitMix(ref x);
        _s1 = SplitMix(ref x);
        _s2 = SplitMix(ref x);
        _s3 = SplitMix(ref x);
    }

    private DeterministicRandom(ulong s0, ulong s1, ulong s2, ulong s3)
    {
        _s0 = s0;
        _s1 = s1;
        _s2 = s2;
        _s3 = s3;
    }

    /// <summary>Number of 64-bit words in the generator's state (256 bits).</summary>
    public const int StateLength = 4;

    /// <summary>Copies the generator's state, so that <see cref="FromState"/> continues it exactly (a checkpoint does this).</summary>
    /// <param name="destination">Receives <see cref="StateLength"/> words.</param>
    /// <exception cref="ArgumentException">The destination does not have <see cref="StateLength"/> words.</exception>
    public readonly void CopyStateTo(Span<ulong> destination)
    {
        if (destination.Length != StateLength)
        {
            throw new ArgumentException($"The state has {StateLength} words but the destination has {destination.Length}.", nameof(destination));
        }

        destination[0] = _s0;
        destination[1] = _s1;
        destination[2] = _s2;
        destination[3] = _s3;
    }

    /// <summary>A generator that continues exactly where the one whose state was copied (<see cref="CopyStateTo"/>) left off.</summary>
    /// <param name="state"><see cref="StateLength"/> words, not all zero (xoshiro256** never reaches that state).</param>
    /// <returns>The generator.</returns>
    /// <exception cref="ArgumentException">The state has the wrong length or is all zero.</exception>
    public static DeterministicRandom FromState(ReadOnlySpan<ulong> state)
    {
        if (state.Length != StateLength)
        {
            throw new ArgumentException($"A state has {StateLength} words, not {state.Length}.", nameof(state));
        }

        if ((state[0] | state[1] | state[2] | state[3]) == 0)
        {
            throw new ArgumentException("The all-zero state is not a state of the generator.", nameof(state));
        }

        return new DeterministicRandom(state[0], state[1], state[2], state[3]);
    }

    /// <summary>The next 64 random bits.</summary>
    /// <returns>A uniformly distributed 64-bit value.</returns>
    public ulong NextUInt64()
    {
        ulong result = RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>A uniform double in [0, 1) with 53 random bits.</summary>
    /// <returns>The number.</returns>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>A uniform double in [<paramref name="low"/>, <paramref name="high"/>).</summary>
    /// <param name="low">Inclusive lower bound.</param>
    /// <param name="high">Exclusive upper bound.</param>
    /// <returns>The number.</returns>
    public double NextUniform(double low, double high) => low + ((high - low) * NextDouble());

    /// <summary>A uniform integer in [0, <paramref name="count"/>).</summary>
    /// <param name="count">Number of possible values, positive.</param>
    /// <returns>The number.</returns>
    public int NextInt(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        return (int)(NextDouble() * count);
    }

    /// <summary>A standard normal sample (Marsaglia's polar method: only <c>log</c> and <c>sqrt</c>, so it reproduces across platforms).</summary>
    /// <returns>The number.</returns>
    public double NextNormal()
    {
        while (true)
        {
            double u = (2 * NextDouble()) - 1;
            double v = (2 * NextDouble()) - 1;
            double s = (u * u) + (v * v);
            if (s > 0 && s < 1)
            {
                return u * Math.Sqrt(-2 * Math.Log(s) / s);
            }
        }
    }

    private static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private static ulong RotateLeft(ulong x, int k) => (x << k) | (x >> (64 - k));
}
