using System;
using System.Diagnostics;
using System.Numerics;
using System.Threading;
using NativeRnn.Kernels;

namespace NativeRnn.Training;

/// <summary>
/// Trains any generated model on batches: the whole loop of the seeds — unroll, sum the losses over time, backpropagate
/// through time, clip, step — with the guards a long run needs. One <see cref="Step"/> reads as the loop:
/// <code>
/// batch → forward (each thread its share of the sequences) → loss → backward → reduce → guard → clip → update → report
/// </code>
/// A step that meets a NaN or ∞ (in the loss, the gradient or the update) is skipped: every parameter and optimiser
/// moment stays exactly as it was, and the report says why. Batches that continue their streams (truncated BPTT) start
/// from the state the previous batch ended in; the gradient stops at the chunk edge. After the first step of a shape,
/// a step allocates nothing.
/// </summary>
/// <remarks>
/// With <see cref="TrainerOptions.Threads"/> above 1, each thread has its own tape and gradient block and a fixed share
/// of every batch's sequences; the loss is normalised over the whole batch and the gradients are summed in thread order,
/// so a run is bit-for-bit repeatable for a given seed and thread count, and equal to the one-thread run up to float
/// rounding. Dropout masks depend on the step and each sequence's place in the batch, not on the thread that runs it.
/// A trainer belongs to one thread at a time; the model's parameters must not change while a step runs.
/// </remarks>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
public sealed partial class Trainer<T> : IDisposable
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private readonly IRecurrentModel<T> _model;
    private readonly Worker[] _workers;
    private readonly Worker[] _evaluators;
    private readonly WorkerPool? _pool;
    private readonly Action<int> _trainJob;
    private readonly Action<int> _evaluateJob;
    private readonly int _outputs;
    private Batch<T>? _batch;
    private T _scale;
    private int _positions;
    private long _skipped;
    private long _stepCount;
    private int _trainingStreams;
    private int _evaluationStreams;
    private Batch<T>? _evaluationBatch;

    /// <summary>Creates a trainer for batches of up to <paramref name="maxSteps"/> steps of <paramref name="batchSize"/> sequences.</summary>
    /// <param name="model">The model; its parameters are what the optimiser updates.</param>
    /// <param name="optimizer">The optimiser, sized for the model's parameter block.</param>
    /// <param name="maxSteps">Most steps of a batch (the chunk length for truncated BPTT).</param>
    /// <param name="batchSize">Most sequences of a batch.</param>
    /// <param name="options">Clipping, schedule, threads, dropout seed; null for the defaults.</param>
    /// <exception cref="ArgumentException">The optimiser does not fit the model, or an option is out of range.</exception>
    public Trainer(IRecurrentModel<T> model, Optimizer<T> optimizer, int maxSteps, int batchSize, TrainerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxSteps);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        options ??= new TrainerOptions();
        if (optimizer.ParameterCount != model.Parameters.Length)
        {
            throw new ArgumentException($"The optimiser is sized for {optimizer.ParameterCount} parameters but the model has {model.Parameters.Length}.", nameof(optimizer));
        }

        if (options.Threads < 1 || options.Threads > batchSize)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Threads, $"Threads must be between 1 and the batch size ({batchSize}).");
        }

        if (options.ClipNorm is double norm && !(norm > 0 && double.IsFinite(norm)))
        {
            throw new ArgumentOutOfRangeException(nameof(options), norm, "ClipNorm must be positive and finite.");
        }

        if (options.ClipValue is double value && !(value > 0 && double.IsFinite(value)))
        {
            throw new ArgumentOutOfRangeException(nameof(options), value, "ClipValue must be positive and finite.");
        }

        _model = model;
        Optimizer = optimizer;
        Options = options;
        MaxSteps = maxSteps;
        BatchSize = batchSize;
        _outputs = model.Description.OutputSize;
        int threads = options.Threads;
        _workers = new Worker[threads];
        _evaluators = new Worker[threads];
        for (int w = 0; w < threads; w++)
        {
            (int first, int count) = Share(w, threads, batchSize);
            _workers[w] = new Worker(this, count, gather: threads > 1, gradients: true);
            _evaluators[w] = new Worker(this, count, gather: threads > 1, gradients: false);
        }

        _trainJob = w => _workers[w].Run(training: true);
        _evaluateJob = w => _evaluators[w].Run(training: false);
        if (threads > 1)
        {
            _pool = new WorkerPool(threads, "NativeRnn trainer");
        }
    }

    /// <summary>The model being trained.</summary>
    public IRecurrentModel<T> Model => _model;

    /// <summary>The optimiser.</summary>
    public Optimizer<T> Optimizer { get; }

    /// <summary>The options.</summary>
    public TrainerOptions Options { get; }

    /// <summary>Most steps of a batch.</summary>
    public int MaxSteps { get; }

    /// <summary>Most sequences of a batch.</summary>
    public int BatchSize { get; }

    /// <summary>Steps taken, skipped ones included: the schedule's position.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public long StepCount
    {
        get => _stepCount;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            _stepCount = value;
        }
    }

    /// <summary>Steps the non-finite guard skipped.</summary>
    public long SkippedSteps => _skipped;

    /// <summary>The gradient block of the last step (summed over threads, after clipping), laid out as the parameters.</summary>
    public ReadOnlySpan<T> Gradients => _workers[0].Gradients;

    /// <summary>Bytes allocated by the trainer's own threads (those beyond the caller's), for allocation tests.</summary>
    internal long WorkerThreadAllocatedBytes => _pool?.AllocatedBytes ?? 0;

    /// <summary>The tape of one thread's share of the batch (thread 0 holds all of it with one thread): its carried states, its gradient flow.</summary>
    /// <param name="thread">The thread, from 0.</param>
    /// <returns>The tape.</returns>
    public IRecurrentTape<T> Tape(int thread = 0) => _workers[thread].Tape;

    /// <summary>Runs one training step on <paramref name="batch"/> and reports it.</summary>
    /// <param name="batch">The batch; its inputs must suit the model (token ids for a model with an embedding) and its targets the outputs.</param>
    /// <returns>What happened.</returns>
    /// <exception cref="ArgumentException">The batch does not fit the trainer or the model, or holds invalid inputs (nothing changed then).</exception>
    public TrainingReport Step(Batch<T> batch)
    {
        long start = Stopwatch.GetTimestamp();
        int positions = Prepare(batch, training: true);
        long step = StepCount;
        double rate = Options.Schedule?.LearningRate(step) ?? Optimizer.LearningRate;
        Optimizer.LearningRate = rate;
        foreach (Worker worker in _workers)
        {
            worker.Tape.SetDropoutStream(DropoutSeed(step), worker.First);
        }

        RunAll(_trainJob);
        StepCount = step + 1;

        double loss = 0;
        foreach (Worker worker in _workers)
        {
            loss += worker.Loss;
        }

        loss /= positions;
        StepOutcome outcome = StepOutcome.Applied;
        var clip = new ClipResult(double.NaN, Clipped: false, IsFinite: false);
        if (!double.IsFinite(loss))
        {
            outcome = StepOutcome.NonFiniteLoss;
        }
        else
        {
            Span<T> gradients = _workers[0].Gradients;
            for (int w = 1; w < _workers.Length; w++)
            {
                VectorMath.AddInto(_workers[w].Gradients, gradients);
            }

            clip = Options.ClipNorm is double norm
                ? GradientClipping.ClipByGlobalNorm<T>(gradients, norm)
                : new ClipResult(GradientClipping.GlobalNorm<T>(gradients), Clipped: false, IsFinite: true);
            clip = clip with { IsFinite = double.IsFinite(clip.Norm) };
            if (clip.IsFinite && Options.ClipValue is double limit)
            {
                clip = clip with { Clipped = GradientClipping.ClipByValue<T>(gradients, limit).Clipped | clip.Clipped };
            }

            if (!clip.IsFinite)
            {
                outcome = StepOutcome.NonFiniteGradient;
            }
            else if (!Optimizer.TryStep(_model.Parameters, gradients))
            {
                outcome = StepOutcome.NonFiniteUpdate;
            }
        }

        if (outcome != StepOutcome.Applied)
        {
            _skipped++;
        }

        CarryStreams(_workers, batch, ref _trainingStreams);
        return new TrainingReport(step + 1, outcome, loss, clip.Norm, clip.Clipped, rate, positions, batch.Sequences, Stopwatch.GetElapsedTime(start), _skipped);
    }

    /// <summary>
    /// Trains for <paramref name="steps"/> steps, drawing batches from <paramref name="data"/> (a new epoch starts when one
    /// ends), reporting each step and, every <paramref name="evaluateEvery"/> steps, an evaluation on <paramref name="validation"/>.
    /// </summary>
    /// <param name="data">The training batches.</param>
    /// <param name="steps">Steps to take.</param>
    /// <param name="onStep">Called after every step; null for none.</param>
    /// <param name="validation">Evaluation batches; null for none.</param>
    /// <param name="evaluateEvery">Steps between evaluations (0: only at the end, when there is a validation source).</param>
    /// <param name="onEvaluate">Called with each evaluation and the step it followed.</param>
    /// <param name="cancellation">Stops the run after the current step.</param>
    /// <returns>The run in numbers.</returns>
    public TrainingSummary Train(
        IBatchSource<T> data,
        long steps,
        Action<TrainingReport>? onStep = null,
        IBatchSource<T>? validation = null,
        long evaluateEvery = 0,
        Action<long, EvaluationReport>? onEvaluate = null,
        CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfNegative(steps);
        ArgumentOutOfRangeException.ThrowIfNegative(evaluateEvery);
        Batch<T> batch = data.CreateBatch();
        long start = Stopwatch.GetTimestamp(), positions = 0, skippedBefore = _skipped;
        double last = double.NaN;
        long taken = 0;
        for (; taken < steps && !cancellation.IsCancellationRequested; taken++)
        {
            if (!data.Next(batch) && !data.Next(batch))
            {
                throw new InvalidOperationException("The data source served an empty epoch.");
            }

            TrainingReport report = Step(batch);
            positions += report.Positions;
            if (report.Applied)
            {
                last = report.Loss;
            }

            onStep?.Invoke(report);
            if (validation is not null && evaluateEvery > 0 && StepCount % evaluateEvery == 0)
            {
                onEvaluate?.Invoke(StepCount, Evaluate(validation));
            }
        }

        if (validation is not null && (evaluateEvery == 0 || StepCount % evaluateEvery != 0))
        {
            onEvaluate?.Invoke(StepCount, Evaluate(validation));
        }

        return new TrainingSummary(taken, _skipped - skippedBefore, last, Stopwatch.GetElapsedTime(start), positions);
    }

    /// <summary>
    /// An evaluation pass: forward only, dropout off, over the rest of the source's current epoch (or
    /// <paramref name="maxBatches"/> of it), on tapes of its own so the training streams are untouched.
    /// </summary>
    /// <param name="data">The batches; the source moves to its next epoch (or on by <paramref name="maxBatches"/>).</param>
    /// <param name="maxBatches">Most batches to evaluate.</param>
    /// <returns>The mean loss and accuracy over every counted position.</returns>
    public EvaluationReport Evaluate(IBatchSource<T> data, long maxBatches = long.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(data);
        Batch<T> batch = _evaluationBatch is { } cached && cached.InputWidth == data.InputWidth && cached.TargetWidth == data.TargetWidth
            && cached.MaxSteps >= data.MaxSteps && cached.MaxSequences >= data.BatchSize
            ? cached
            : _evaluationBatch = data.CreateBatch();
        double loss = 0;
        long correct = 0, positions = 0, batches = 0;
        _evaluationStreams = 0;
        foreach (Worker evaluator in _evaluators)
        {
            evaluator.Tape.ResetState();
        }

        while (batches < maxBatches && data.Next(batch))
        {
            positions += Prepare(batch, training: false);
            RunAll(_evaluateJob);
            foreach (Worker evaluator in _evaluators)
            {
                loss += evaluator.Loss;
                correct += evaluator.Correct;
            }

            CarryStreams(_evaluators, batch, ref _evaluationStreams);
            batches++;
        }

        return new EvaluationReport(positions > 0 ? loss / positions : double.NaN, batch.HasClassTargets && positions > 0 ? (double)correct / positions : double.NaN, positions, batches);
    }

    /// <summary>Zeroes the carried states: the next batch starts its streams afresh even if it says it continues them.</summary>
    public void ResetStreams()
    {
        foreach (Worker worker in _workers)
        {
            worker.Tape.ResetState();
        }
    }

    /// <summary>Stops the trainer's threads.</summary>
    public void Dispose() => _pool?.Dispose();

    /// <summary>The seed of one step's dropout masks.</summary>
    private ulong DropoutSeed(long step)
    {
        ulong z = Options.DropoutSeed + (0x9E3779B97F4A7C15UL * (ulong)(step + 1));
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Checks the batch, shares it among the workers, and returns the positions its loss counts.</summary>
    private int Prepare(Batch<T> batch, bool training)
    {
        ArgumentNullException.ThrowIfNull(batch);
        bool tokens = _model is ITokenSequenceModel<T>;
        if (batch.HasTokenInputs != tokens)
        {
            throw new ArgumentException(tokens
                ? "The model reads token ids (it starts with an embedding) but the batch holds input values."
                : $"The model reads {_model.Description.InputSize} values per step but the batch holds token ids.", nameof(batch));
        }

        if (!batch.HasTokenInputs && batch.InputWidth != _model.Description.InputSize)
        {
            throw new ArgumentException($"The model reads {_model.Description.InputSize} values per step but the batch has {batch.InputWidth}.", nameof(batch));
        }

        if (!batch.HasClassTargets && batch.TargetWidth != _outputs)
        {
            throw new ArgumentException($"The model has {_outputs} outputs per step but the batch has {batch.TargetWidth} target values.", nameof(batch));
        }

        if (batch.Steps > MaxSteps || batch.Sequences > BatchSize)
        {
            throw new ArgumentException($"The batch holds {batch.Steps} steps of {batch.Sequences} sequences; this trainer takes at most {MaxSteps} of {BatchSize}.", nameof(batch));
        }

        int streams = training ? _trainingStreams : _evaluationStreams;
        if (batch.ContinuesStreams && streams != 0 && batch.Sequences != streams)
        {
            throw new ArgumentException($"The batch continues {batch.Sequences} streams, but the previous batch had {streams}.", nameof(batch));
        }

        int positions = batch.CountedPositions();
        if (positions == 0)
        {
            throw new ArgumentException("No position of the batch counts in the loss.", nameof(batch));
        }

        _batch = batch;
        _positions = positions;
        _scale = T.One / T.CreateTruncating(positions);
        Worker[] workers = training ? _workers : _evaluators;
        for (int w = 0; w < workers.Length; w++)
        {
            (int first, int count) = Share(w, workers.Length, batch.Sequences);
            workers[w].Assign(first, count, batch.ContinuesStreams);
        }

        return positions;
    }

    private void RunAll(Action<int> job)
    {
        if (_pool is null)
        {
            job(0);
        }
        else
        {
            _pool.Run(job);
        }
    }

    /// <summary>After a batch: carry each worker's final states into its initial ones when the streams go on (and are finite), else start afresh.</summary>
    private static void CarryStreams(Worker[] workers, Batch<T> batch, ref int streams)
    {
        streams = batch.Sequences;
        foreach (Worker worker in workers)
        {
            worker.Carry();
        }
    }

    /// <summary>Sequences [first, first + count) of <paramref name="sequences"/> for worker <paramref name="w"/> of <paramref name="workers"/>.</summary>
    private static (int First, int Count) Share(int w, int workers, int sequences)
    {
        int first = (int)((long)w * sequences / workers);
        int next = (int)((long)(w + 1) * sequences / workers);
        return (first, next - first);
    }

    /// <summary>One thread's tape, buffers and share of a batch.</summary>
    private sealed class Worker
    {
        private readonly Trainer<T> _trainer;
        private readonly bool _gather;
        private readonly T[] _outputs;
        private readonly T[] _outputGradients;
        private readonly T[] _gradients;
        private readonly int[] _tokens;
        private readonly T[] _inputs;
        private readonly int[] _classes;
        private readonly T[] _values;
        private readonly bool[] _mask;
        private bool _continues;

        public Worker(Trainer<T> trainer, int maxSequences, bool gather, bool gradients)
        {
            _trainer = trainer;
            _gather = gather;
            int rows = trainer.MaxSteps * Math.Max(1, maxSequences);
            var description = trainer._model.Description;
            Tape = trainer._model.CreateTape(trainer.MaxSteps, Math.Max(1, maxSequences));
            Tape.DropoutEnabled = gradients;
            _outputs = new T[rows * trainer._outputs];
            _outputGradients = new T[rows * trainer._outputs];
            _gradients = gradients ? new T[trainer._model.Parameters.Length] : [];
            int inputWidth = description.HasEmbedding ? 0 : description.InputSize;
            _tokens = gather && inputWidth == 0 ? new int[rows] : [];
            _inputs = gather && inputWidth > 0 ? new T[rows * inputWidth] : [];
            _classes = gather ? new int[rows] : [];
            _values = gather ? new T[rows * trainer._outputs] : [];
            _mask = gather ? new bool[rows] : [];
        }

        public IRecurrentTape<T> Tape { get; }

        public Span<T> Gradients => _gradients;

        public int First { get; private set; }

        public int Count { get; private set; }

        /// <summary>Σ of the loss over this worker's counted positions (not yet divided by the batch's count).</summary>
        public double Loss { get; private set; }

        /// <summary>Counted positions whose largest logit is the target (evaluation of class targets).</summary>
        public long Correct { get; private set; }

        public void Assign(int first, int count, bool continues)
        {
            First = first;
            Count = count;
            _continues = continues;
        }

        public void Run(bool training)
        {
            Loss = 0;
            Correct = 0;
            if (Count == 0)
            {
                _gradients.AsSpan().Clear();
                return;
            }

            Batch<T> batch = _trainer._batch!;
            int steps = batch.Steps, rows = steps * Count, outputs = _trainer._outputs;
            if (!_continues)
            {
                Tape.ResetState();
            }

            Tape.SetShape(steps, Count);
            ReadOnlySpan<int> tokens = batch.HasTokenInputs ? Slice<int>(batch.Tokens, _tokens, steps, batch.Sequences, 1) : default;
            ReadOnlySpan<T> inputs = batch.HasTokenInputs ? default : Slice<T>(batch.Inputs, _inputs, steps, batch.Sequences, batch.InputWidth);
            ReadOnlySpan<int> classes = batch.HasClassTargets ? Slice<int>(batch.Classes, _classes, steps, batch.Sequences, 1) : default;
            ReadOnlySpan<T> values = batch.HasClassTargets ? default : Slice<T>(batch.Values, _values, steps, batch.Sequences, batch.TargetWidth);
            ReadOnlySpan<bool> mask = batch.HasMask ? Slice<bool>(batch.Mask, _mask, steps, batch.Sequences, 1) : default;
            Span<T> y = _outputs.AsSpan(0, rows * outputs);
            Span<T> dy = _outputGradients.AsSpan(0, rows * outputs);

            IRecurrentModel<T> model = _trainer._model;
            if (model is ITokenSequenceModel<T> tokenModel)
            {
                tokenModel.Forward(Tape, tokens, y);
            }
            else
            {
                ((ISequenceModel<T>)model).Forward(Tape, inputs, y);
            }

            var positions = new LossPositions(steps, Count, batch.LossSteps, mask);
            Loss = batch.HasClassTargets
                ? LossKernels.CrossEntropy(y, classes, dy, outputs, positions, _trainer._scale)
                : LossKernels.SquaredError(y, values, dy, outputs, positions, 2.0 / ((double)_trainer._positions * outputs));
            if (!batch.HasClassTargets)
            {
                // The mean squared error averages over every output element of the counted positions.
                Loss /= outputs;
            }

            if (!training)
            {
                if (batch.HasClassTargets)
                {
                    Correct = CountCorrect(y, classes, outputs, positions);
                }

                return;
            }

            _gradients.AsSpan().Clear();
            if (double.IsFinite(Loss))
            {
                model.Backward(Tape, dy, _gradients);
            }
        }

        /// <summary>After a batch: carry the final states on if they are finite, else start the next batch afresh.</summary>
        public void Carry()
        {
            if (Count == 0)
            {
                return;
            }

            var description = _trainer._model.Description;
            bool finite = true;
            for (int k = 0; k < description.Layers.Count && finite; k++)
            {
                LayerDescription layer = description.Layers[k];
                for (int d = 0; d < (layer.Bidirectional ? 2 : 1); d++)
                {
                    finite &= Guard.AllFinite(Tape.FinalHidden(k, d)) && (layer.Kind != LayerKind.Lstm || Guard.AllFinite(Tape.FinalCell(k, d)));
                }
            }

            if (finite)
            {
                Tape.CarryState();
            }
            else
            {
                Tape.ResetState();
            }
        }

        /// <summary>This worker's sequences of a time-major batch: the batch itself with one worker, else gathered into <paramref name="buffer"/>.</summary>
        private ReadOnlySpan<TElement> Slice<TElement>(Span<TElement> all, TElement[] buffer, int steps, int sequences, int width)
        {
            if (!_gather)
            {
                return all;
            }

            int n = Count * width;
            for (int t = 0; t < steps; t++)
            {
                all.Slice(((t * sequences) + First) * width, n).CopyTo(buffer.AsSpan(t * n, n));
            }

            return buffer.AsSpan(0, steps * n);
        }

        private static long CountCorrect(ReadOnlySpan<T> logits, ReadOnlySpan<int> classes, int width, in LossPositions positions)
        {
            long correct = 0;
            for (int row = 0; row < positions.Rows; row++)
            {
                if (!positions.Counts(row))
                {
                    continue;
                }

                ReadOnlySpan<T> z = logits.Slice(row * width, width);
                int best = 0;
                for (int j = 1; j < width; j++)
                {
                    if (z[j] > z[best])
                    {
                        best = j;
                    }
                }

                if (best == classes[row])
                {
                    correct++;
                }
            }

            return correct;
        }
    }
}
