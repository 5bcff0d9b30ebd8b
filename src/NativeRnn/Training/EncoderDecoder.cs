using System;
using System.Diagnostics;
using System.Numerics;
using NativeRnn.Kernels;

namespace NativeRnn.Training;

/// <summary>
/// Two declared models joined into a sequence-to-sequence model (Sutskever et al. 2014; Cho et al. 2014): the encoder
/// reads the source, its final state becomes the decoder's initial state, layer by layer, and the decoder emits the
/// target one token at a time. Training runs both as one network: the decoder's BPTT ends in <c>∂L/∂h_0</c>, which
/// enters the encoder as the gradient of its final state, so one backward pass reaches every parameter of both.
/// </summary>
/// <remarks>
/// The two models must have the same recurrent layers (kinds and hidden sizes, none bidirectional) so that each state
/// has a place to go. Clipping is by the global norm over both gradient blocks together; a step is applied to both
/// models or to neither (the guard of <see cref="Trainer{T}"/>). A step allocates nothing after the first.
/// </remarks>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
public sealed class EncoderDecoder<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private readonly ITokenSequenceModel<T> _encoder;
    private readonly ITokenSequenceModel<T> _decoder;
    private readonly IRecurrentTape<T> _encoderTape;
    private readonly IRecurrentTape<T> _decoderTape;
    private readonly T[] _encoderOutputs;
    private readonly T[] _encoderOutputGradients;
    private readonly T[] _decoderOutputs;
    private readonly T[] _decoderOutputGradients;
    private readonly T[] _encoderGradients;
    private readonly T[] _decoderGradients;
    private long _skipped;

    /// <summary>Joins <paramref name="encoder"/> to <paramref name="decoder"/>.</summary>
    /// <param name="encoder">Reads the source tokens.</param>
    /// <param name="decoder">Emits the target: its outputs are logits over the target tokens.</param>
    /// <param name="encoderOptimizer">Updates the encoder.</param>
    /// <param name="decoderOptimizer">Updates the decoder.</param>
    /// <param name="maxSourceSteps">Longest source.</param>
    /// <param name="maxTargetSteps">Longest target plus one.</param>
    /// <param name="batchSize">Most pairs per batch.</param>
    /// <param name="options">Clipping, schedule (applied to both optimisers) and dropout seed; <see cref="TrainerOptions.Threads"/> must be 1.</param>
    /// <exception cref="ArgumentException">The layers do not match, or an optimiser does not fit its model.</exception>
    public EncoderDecoder(ITokenSequenceModel<T> encoder, ITokenSequenceModel<T> decoder, Optimizer<T> encoderOptimizer, Optimizer<T> decoderOptimizer, int maxSourceSteps, int maxTargetSteps, int batchSize, TrainerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(decoder);
        ArgumentNullException.ThrowIfNull(encoderOptimizer);
        ArgumentNullException.ThrowIfNull(decoderOptimizer);
        options ??= new TrainerOptions();
        if (options.Threads != 1)
        {
            throw new ArgumentException("An encoder–decoder trains on one thread.", nameof(options));
        }

        CheckJoinable(encoder.Description, decoder.Description);
        if (encoderOptimizer.ParameterCount != encoder.Parameters.Length || decoderOptimizer.ParameterCount != decoder.Parameters.Length)
        {
            throw new ArgumentException("Each optimiser must be sized for its model's parameter block.");
        }

        _encoder = encoder;
        _decoder = decoder;
        EncoderOptimizer = encoderOptimizer;
        DecoderOptimizer = decoderOptimizer;
        Options = options;
        _encoderTape = encoder.CreateTape(maxSourceSteps, batchSize);
        _decoderTape = decoder.CreateTape(maxTargetSteps, batchSize);
        _encoderOutputs = new T[maxSourceSteps * batchSize * encoder.Description.OutputSize];
        _encoderOutputGradients = new T[_encoderOutputs.Length];
        _decoderOutputs = new T[maxTargetSteps * batchSize * decoder.Description.OutputSize];
        _decoderOutputGradients = new T[_decoderOutputs.Length];
        _encoderGradients = new T[encoder.Parameters.Length];
        _decoderGradients = new T[decoder.Parameters.Length];
    }

    /// <summary>The encoder's optimiser.</summary>
    public Optimizer<T> EncoderOptimizer { get; }

    /// <summary>The decoder's optimiser.</summary>
    public Optimizer<T> DecoderOptimizer { get; }

    /// <summary>The options.</summary>
    public TrainerOptions Options { get; }

    /// <summary>Steps taken, skipped ones included.</summary>
    public long StepCount { get; private set; }

    /// <summary>Steps the non-finite guard skipped.</summary>
    public long SkippedSteps => _skipped;

    /// <summary>The encoder's gradient of the last <see cref="Backpropagate"/> (after clipping, once a step clipped it).</summary>
    public ReadOnlySpan<T> EncoderGradients => _encoderGradients;

    /// <summary>The decoder's gradient of the last <see cref="Backpropagate"/>.</summary>
    public ReadOnlySpan<T> DecoderGradients => _decoderGradients;

    /// <summary>
    /// The joined forward and backward pass without an update: encoder, state hand-over, decoder, mean cross-entropy over
    /// the decoder's counted positions, then BPTT back through the decoder and, through <c>∂L/∂h_0</c>, the encoder.
    /// </summary>
    /// <param name="batch">The batch.</param>
    /// <returns>The mean loss (NaN when not finite; the gradients are then not computed).</returns>
    public double Backpropagate(TranslationBatch<T> batch)
    {
        double loss = ForwardLoss(batch);
        if (!double.IsFinite(loss))
        {
            return double.NaN;
        }

        // Decoder BPTT ends in ∂L/∂h_0, the gradient of the encoder's final state.
        Array.Clear(_decoderGradients);
        Array.Clear(_encoderGradients);
        Batch<T> source = batch.Source, target = batch.Target;
        _decoder.Backward(_decoderTape, _decoderOutputGradients.AsSpan(0, target.Rows * _decoder.Description.OutputSize), _decoderGradients);
        HandBack();
        Span<T> noOutputGradient = _encoderOutputGradients.AsSpan(0, source.Rows * _encoder.Description.OutputSize);
        noOutputGradient.Clear();
        _encoder.Backward(_encoderTape, noOutputGradient, _encoderGradients);
        return loss;
    }

    /// <summary>Encoder, state hand-over, decoder and the loss; leaves the logits and their gradient in the buffers.</summary>
    private double ForwardLoss(TranslationBatch<T> batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        Batch<T> source = batch.Source, target = batch.Target;
        if (source.Sequences != target.Sequences)
        {
            throw new ArgumentException("The source and target batches hold different numbers of sequences.", nameof(batch));
        }

        int sequences = source.Sequences, positions = target.CountedPositions();
        _encoderTape.SetShape(source.Steps, sequences);
        _decoderTape.SetShape(target.Steps, sequences);
        _encoderTape.ResetState();
        ulong dropout = Options.DropoutSeed + (0x9E3779B97F4A7C15UL * (ulong)(StepCount + 1));
        _encoderTape.SetDropoutStream(dropout);
        _decoderTape.SetDropoutStream(~dropout);

        // Encoder, then its final states start the decoder.
        _encoder.Forward(_encoderTape, source.Tokens, _encoderOutputs.AsSpan(0, source.Rows * _encoder.Description.OutputSize));
        HandOver();
        Span<T> logits = _decoderOutputs.AsSpan(0, target.Rows * _decoder.Description.OutputSize);
        Span<T> dLogits = _decoderOutputGradients.AsSpan(0, logits.Length);
        _decoder.Forward(_decoderTape, target.Tokens, logits);
        var counted = new LossPositions(target.Steps, sequences, target.LossSteps, target.HasMask ? target.Mask : default);
        double loss = LossKernels.CrossEntropy(logits, target.Classes, dLogits, _decoder.Description.OutputSize, counted, T.One / T.CreateTruncating(positions));
        return loss / positions;
    }

    /// <summary>One training step: <see cref="Backpropagate"/>, the guard, joint clipping, and both updates or neither.</summary>
    /// <param name="batch">The batch.</param>
    /// <returns>What happened.</returns>
    public TrainingReport Step(TranslationBatch<T> batch)
    {
        long start = Stopwatch.GetTimestamp();
        double rate = Options.Schedule?.LearningRate(StepCount) ?? DecoderOptimizer.LearningRate;
        EncoderOptimizer.LearningRate = rate;
        DecoderOptimizer.LearningRate = rate;
        double loss = Backpropagate(batch);
        StepCount++;
        StepOutcome outcome = StepOutcome.Applied;
        double norm = double.NaN;
        bool clipped = false;
        if (!double.IsFinite(loss))
        {
            outcome = StepOutcome.NonFiniteLoss;
        }
        else
        {
            double e = GradientClipping.GlobalNorm<T>(_encoderGradients), d = GradientClipping.GlobalNorm<T>(_decoderGradients);
            norm = Math.Sqrt((e * e) + (d * d));
            if (!double.IsFinite(norm))
            {
                outcome = StepOutcome.NonFiniteGradient;
            }
            else
            {
                if (Options.ClipNorm is double limit && norm > limit)
                {
                    // One scale for both blocks; each block's own clip then keeps its share ≤ its bound exactly.
                    GradientClipping.ClipByGlobalNorm<T>(_encoderGradients, Math.Max(e * limit / norm, double.Epsilon));
                    GradientClipping.ClipByGlobalNorm<T>(_decoderGradients, Math.Max(d * limit / norm, double.Epsilon));
                    clipped = true;
                }

                if (Options.ClipValue is double value)
                {
                    clipped |= GradientClipping.ClipByValue<T>(_encoderGradients, value).Clipped | GradientClipping.ClipByValue<T>(_decoderGradients, value).Clipped;
                }

                if (EncoderOptimizer.CanStep(_encoder.Parameters, _encoderGradients) && DecoderOptimizer.CanStep(_decoder.Parameters, _decoderGradients))
                {
                    EncoderOptimizer.TryStep(_encoder.Parameters, _encoderGradients);
                    DecoderOptimizer.TryStep(_decoder.Parameters, _decoderGradients);
                }
                else
                {
                    outcome = StepOutcome.NonFiniteUpdate;
                }
            }
        }

        if (outcome != StepOutcome.Applied)
        {
            _skipped++;
        }

        return new TrainingReport(StepCount, outcome, loss, norm, clipped, rate, batch.Target.CountedPositions(), batch.Target.Sequences, Stopwatch.GetElapsedTime(start), _skipped);
    }

    /// <summary>Teacher-forced evaluation (no dropout) over the rest of the pairs' current epoch: the mean loss and per-token accuracy.</summary>
    /// <param name="pairs">The pairs.</param>
    /// <returns>The report.</returns>
    public EvaluationReport Evaluate(TranslationPairs<T> pairs)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        TranslationBatch<T> batch = pairs.CreateBatch();
        double loss = 0;
        long positions = 0, correct = 0, batches = 0;
        _encoderTape.DropoutEnabled = _decoderTape.DropoutEnabled = false;
        try
        {
            while (pairs.Next(batch))
            {
                double mean = ForwardLoss(batch);
                int counted = batch.Target.CountedPositions();
                loss += mean * counted;
                positions += counted;
                int classes = _decoder.Description.OutputSize;
                for (int row = 0; row < batch.Target.Rows; row++)
                {
                    if (batch.Target.Mask[row] && TokenSampler(_decoderOutputs.AsSpan(row * classes, classes)) == batch.Target.Classes[row])
                    {
                        correct++;
                    }
                }

                batches++;
            }
        }
        finally
        {
            _encoderTape.DropoutEnabled = _decoderTape.DropoutEnabled = true;
        }

        return new EvaluationReport(positions > 0 ? loss / positions : double.NaN, positions > 0 ? (double)correct / positions : double.NaN, positions, batches);
    }

    /// <summary>
    /// Greedy decoding of one source, step by step with the models' streaming <c>Step</c>: the encoder reads the source,
    /// its state starts the decoder, and each output's largest logit is the next input, until <paramref name="endToken"/>
    /// or <paramref name="destination"/> is full.
    /// </summary>
    /// <param name="source">The source tokens.</param>
    /// <param name="destination">Receives the target tokens (not the end token).</param>
    /// <param name="startToken">The decoder's first input.</param>
    /// <param name="endToken">The token that ends the target.</param>
    /// <returns>Tokens written.</returns>
    /// <exception cref="InvalidOperationException">A model has a bidirectional layer and cannot stream.</exception>
    public int Translate(ReadOnlySpan<int> source, Span<int> destination, int startToken, int endToken)
    {
        if (_encoder is not ITokenStreamingModel<T> encoder || _decoder is not ITokenStreamingModel<T> decoder)
        {
            throw new InvalidOperationException("Greedy decoding runs step by step, which needs streaming models (no bidirectional layer).");
        }

        Span<T> state = stackalloc T[encoder.StateSize];
        state.Clear();
        Span<T> encoderOutput = _encoderOutputs.AsSpan(0, encoder.Description.OutputSize);
        foreach (int token in source)
        {
            encoder.Step(state, token, encoderOutput);
        }

        // Same layers, so the same state layout: [h (and c) of layer 0, then layer 1, …].
        Span<T> logits = _decoderOutputs.AsSpan(0, decoder.Description.OutputSize);
        int next = startToken, written = 0;
        while (written < destination.Length)
        {
            decoder.Step(state, next, logits);
            next = TokenSampler(logits);
            if (next == endToken)
            {
                break;
            }

            destination[written++] = next;
        }

        return written;
    }

    private static int TokenSampler(ReadOnlySpan<T> logits)
    {
        int best = 0;
        for (int j = 1; j < logits.Length; j++)
        {
            if (logits[j] > logits[best])
            {
                best = j;
            }
        }

        return best;
    }

    /// <summary>The encoder's final states become the decoder's initial ones.</summary>
    private void HandOver()
    {
        var layers = _encoder.Description.Layers;
        for (int k = 0; k < layers.Count; k++)
        {
            _encoderTape.FinalHidden(k).CopyTo(_decoderTape.InitialHidden(k));
            if (layers[k].Kind == LayerKind.Lstm)
            {
                _encoderTape.FinalCell(k).CopyTo(_decoderTape.InitialCell(k));
            }
        }
    }

    /// <summary>The decoder's <c>∂L/∂h_0</c> (and <c>∂L/∂c_0</c>) become the gradients of the encoder's final states.</summary>
    private void HandBack()
    {
        var layers = _encoder.Description.Layers;
        for (int k = 0; k < layers.Count; k++)
        {
            _encoderTape.SetFinalHiddenGradient(k, 0, _decoderTape.InitialHiddenGradient(k));
            if (layers[k].Kind == LayerKind.Lstm)
            {
                _encoderTape.SetFinalCellGradient(k, 0, _decoderTape.InitialCellGradient(k));
            }
        }
    }

    private static void CheckJoinable(ModelDescription encoder, ModelDescription decoder)
    {
        bool joinable = encoder.Layers.Count == decoder.Layers.Count && encoder.ElementType == decoder.ElementType;
        for (int k = 0; joinable && k < encoder.Layers.Count; k++)
        {
            LayerDescription e = encoder.Layers[k], d = decoder.Layers[k];
            joinable = e.Kind == d.Kind && e.Hidden == d.Hidden && !e.Bidirectional && !d.Bidirectional;
        }

        if (!joinable)
        {
            throw new ArgumentException($"An encoder's final states start the decoder layer by layer, so both need the same unidirectional recurrent layers; the encoder is {encoder} and the decoder {decoder}.", nameof(decoder));
        }
    }
}
