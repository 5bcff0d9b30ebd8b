using System;
using System.Numerics;
using NativeRnn.Initialization;
using NativeRnn.Kernels;

namespace NativeRnn.Text;

/// <summary>
/// How to pick the next token from a model's logits <c>z</c>: greedy (<see cref="Temperature"/> 0: the largest logit),
/// or a draw from <c>softmax(z / temperature)</c>, optionally restricted to the <see cref="TopK"/> largest logits and
/// then to the smallest set of them whose probability reaches <see cref="TopP"/> (nucleus sampling, Holtzman et al.
/// 2020), renormalised.
/// </summary>
/// <param name="Temperature">0 for greedy; otherwise positive (below 1 sharper, above 1 flatter).</param>
/// <param name="TopK">Keep only the k largest logits; 0 for all.</param>
/// <param name="TopP">Keep the most likely tokens until their probability reaches p, in <c>(0, 1]</c>; 1 for all.</param>
public readonly record struct SamplingOptions(double Temperature = 1, int TopK = 0, double TopP = 1)
{
    /// <summary>Always the largest logit.</summary>
    public static SamplingOptions Greedy => new(0);

    internal void Check()
    {
        if (!(Temperature >= 0) || !double.IsFinite(Temperature))
        {
            throw new ArgumentOutOfRangeException(nameof(Temperature), Temperature, "The temperature must be 0 (greedy) or positive and finite.");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(TopK, nameof(TopK));
        if (!(TopP > 0 && TopP <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(TopP), TopP, "TopP must be in (0, 1].");
        }
    }
}

/// <summary>
/// Draws tokens from logits as <see cref="SamplingOptions"/> say, from its own seeded random stream, so the same seed and
/// logits give the same tokens on every machine. Top-k selects with a heap (O(V log k), no sort of the vocabulary); only
/// top-p sorts, and only the candidates left. A draw allocates nothing.
/// </summary>
/// <typeparam name="T">The logits' element type.</typeparam>
public sealed class TokenSampler<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private readonly int[] _candidates;
    private readonly double[] _weights;
    private DeterministicRandom _random;

    /// <summary>Creates a sampler for a vocabulary of <paramref name="vocabulary"/> tokens.</summary>
    /// <param name="vocabulary">The number of logits, positive.</param>
    /// <param name="seed">The seed of the draws.</param>
    public TokenSampler(int vocabulary, ulong seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(vocabulary);
        Vocabulary = vocabulary;
        _candidates = new int[vocabulary];
        _weights = new double[vocabulary];
        _random = new DeterministicRandom(seed, 0x5A3D_1E00UL);
    }

    /// <summary>The number of logits.</summary>
    public int Vocabulary { get; }

    /// <summary>Draws a token.</summary>
    /// <param name="logits">The logits, <see cref="Vocabulary"/> finite values.</param>
    /// <param name="options">How to draw.</param>
    /// <returns>The token id.</returns>
    /// <exception cref="ArgumentException">The logits have the wrong length or are not finite, or an option is out of range.</exception>
    public int Sample(ReadOnlySpan<T> logits, in SamplingOptions options)
    {
        options.Check();
        Guard.Length(logits.Length, Vocabulary, nameof(logits), "[Vocabulary]");
        Guard.Finite(logits, nameof(logits));
        if (options.Temperature == 0)
        {
            return ArgMax(logits);
        }

        int count = options.TopK > 0 && options.TopK < Vocabulary ? SelectTopK(logits, options.TopK) : All();
        Span<int> candidates = _candidates.AsSpan(0, count);
        Span<double> weights = _weights.AsSpan(0, count);

        // softmax(z/τ) up to its normaliser: e^((z − max)/τ), in double.
        double max = double.NegativeInfinity;
        foreach (int token in candidates)
        {
            max = Math.Max(max, double.CreateTruncating(logits[token]));
        }

        double total = 0;
        for (int i = 0; i < count; i++)
        {
            weights[i] = Math.Exp((double.CreateTruncating(logits[candidates[i]]) - max) / options.Temperature);
            total += weights[i];
        }

        if (options.TopP < 1)
        {
            // Most likely first (ties by id), then keep the shortest prefix that reaches p of the mass.
            for (int i = 0; i < count; i++)
            {
                weights[i] = -weights[i];
            }

            weights.Sort(candidates);
            double kept = 0, limit = options.TopP * total;
            int keep = 0;
            while (keep < count && kept < limit)
            {
                weights[keep] = -weights[keep];
                kept += weights[keep];
                keep++;
            }

            count = keep;
            total = kept;
        }

        double u = _random.NextDouble() * total;
        for (int i = 0; i < count - 1; i++)
        {
            u -= _weights[i];
            if (u < 0)
            {
                return _candidates[i];
            }
        }

        return _candidates[count - 1];
    }

    /// <summary>The index of the largest logit (the first on ties).</summary>
    private static int ArgMax(ReadOnlySpan<T> logits)
    {
        int best = 0;
        for (int i = 1; i < logits.Length; i++)
        {
            if (logits[i] > logits[best])
            {
                best = i;
            }
        }

        return best;
    }

    private int All()
    {
        for (int i = 0; i < Vocabulary; i++)
        {
            _candidates[i] = i;
        }

        return Vocabulary;
    }

    /// <summary>The k largest logits into the candidates, by a min-heap over the first k (ties keep the lower id).</summary>
    private int SelectTopK(ReadOnlySpan<T> logits, int k)
    {
        Span<int> heap = _candidates.AsSpan(0, k);
        for (int i = 0; i < k; i++)
        {
            heap[i] = i;
            SiftUp(heap, i, logits);
        }

        for (int i = k; i < logits.Length; i++)
        {
            if (Less(heap[0], i, logits))
            {
                heap[0] = i;
                SiftDown(heap, 0, logits);
            }
        }

        return k;
    }

    /// <summary>Heap order: a smaller logit, or on a tie the larger id, is "less" (so it leaves first).</summary>
    private static bool Less(int a, int b, ReadOnlySpan<T> logits) => logits[a] < logits[b] || (logits[a] == logits[b] && a > b);

    private static void SiftUp(Span<int> heap, int i, ReadOnlySpan<T> logits)
    {
        while (i > 0)
        {
            int parent = (i - 1) / 2;
            if (!Less(heap[i], heap[parent], logits))
            {
                return;
            }

            (heap[i], heap[parent]) = (heap[parent], heap[i]);
            i = parent;
        }
    }

    private static void SiftDown(Span<int> heap, int i, ReadOnlySpan<T> logits)
    {
        while (true)
        {
            int left = (2 * i) + 1, right = left + 1, smallest = i;
            if (left < heap.Length && Less(heap[left], heap[smallest], logits))
            {
                smallest = left;
            }

            if (right < heap.Length && Less(heap[right], heap[smallest], logits))
            {
                smallest = right;
            }

            if (smallest == i)
            {
                return;
            }

            (heap[i], heap[smallest]) = (heap[smallest], heap[i]);
            i = smallest;
        }
    }
}
