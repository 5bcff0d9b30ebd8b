using System;
using System.Collections.Generic;
using System.Numerics;
using NativeRnn.Serialization;

namespace NativeRnn.Training;

public sealed partial class Trainer<T>
{
    private const string OptimizerKey = "optimizer";

    /// <summary>
    /// A checkpoint of the whole run: the parameters, the optimiser's state and step count, the trainer's step and
    /// skipped counts (the schedule's position), the data source's position, and the states carried into the next batch
    /// of continuing streams — everything a resumed run needs to continue bit for bit as if it had never stopped.
    /// </summary>
    /// <param name="data">The training data, whose position is saved; null when the caller keeps it.</param>
    /// <returns>The checkpoint; add a vocabulary or metadata of your own, then <see cref="Checkpoint.Save"/> it.</returns>
    public Checkpoint CreateCheckpoint(IBatchSource<T>? data = null)
    {
        Checkpoint checkpoint = Checkpoint.Create(_model);
        checkpoint.Metadata[OptimizerKey] = OptimizerName;
        checkpoint.SetBlock<T>("optimizer.state", Optimizer.State);
        checkpoint.Integers["optimizer.step"] = Optimizer.StepCount;
        checkpoint.Integers["trainer.step"] = StepCount;
        checkpoint.Integers["trainer.skipped"] = _skipped;
        checkpoint.Integers["trainer.streams"] = _trainingStreams;
        if (data is not null)
        {
            checkpoint.Integers["data.epoch"] = data.Position.Epoch;
            checkpoint.Integers["data.index"] = data.Position.Index;
        }

        // The carried states, in the batch's sequence order (each thread holds a contiguous share), so a run can
        // resume on another number of threads.
        if (_trainingStreams > 0)
        {
            foreach ((int layer, int direction, bool cell, int hidden) in States())
            {
                T[] all = new T[_trainingStreams * hidden];
                foreach (Worker worker in _workers)
                {
                    if (worker.Count > 0)
                    {
                        ReadOnlySpan<T> region = cell ? worker.Tape.InitialCell(layer, direction) : worker.Tape.InitialHidden(layer, direction);
                        region.Slice(0, worker.Count * hidden).CopyTo(all.AsSpan(worker.First * hidden));
                    }
                }

                checkpoint.SetBlock<T>(StateName(layer, direction, cell), all);
            }
        }

        return checkpoint;
    }

    /// <summary>
    /// Resumes from <paramref name="checkpoint"/>: checks everything first (architecture, optimiser, sizes), then writes the
    /// parameters, the optimiser's state, the counts, the data position and the carried states.
    /// </summary>
    /// <param name="checkpoint">A checkpoint written by <see cref="CreateCheckpoint"/> for a model of this architecture.</param>
    /// <param name="data">The training data, moved to the saved position; null to leave it.</param>
    /// <exception cref="WeightFileException">The checkpoint is of another architecture; nothing changed.</exception>
    /// <exception cref="ArgumentException">The optimiser or a size does not match; nothing changed.</exception>
    public void RestoreCheckpoint(Checkpoint checkpoint, IBatchSource<T>? data = null)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        if (!ArchitectureSignature.Of(_model).Equals(checkpoint.Architecture))
        {
            checkpoint.RestoreParameters(_model); // refuses another architecture, naming both, before writing anything
        }

        string optimizer = checkpoint.Metadata.TryGetValue(OptimizerKey, out string? name) ? name : "(none)";
        if (optimizer != OptimizerName)
        {
            throw new ArgumentException($"{checkpoint.SourceName} was written with the optimiser {optimizer}, and this trainer uses {OptimizerName}.", nameof(checkpoint));
        }

        ReadOnlySpan<T> state = checkpoint.GetBlock<T>("optimizer.state");
        if (state.Length != Optimizer.State.Length)
        {
            throw new ArgumentException($"{checkpoint.SourceName} holds {state.Length} optimiser state values where this {optimizer} keeps {Optimizer.State.Length} (other options?).", nameof(checkpoint));
        }

        long Integer(string key) => checkpoint.Integers.TryGetValue(key, out long value) ? value : throw new ArgumentException($"{checkpoint.SourceName} has no '{key}'; it was not written by a trainer.", nameof(checkpoint));
        long optimizerStep = Integer("optimizer.step"), step = Integer("trainer.step"), skipped = Integer("trainer.skipped");
        int streams = (int)Integer("trainer.streams");
        if (streams < 0 || streams > BatchSize)
        {
            throw new ArgumentException($"{checkpoint.SourceName} carries {streams} streams; this trainer holds at most {BatchSize}.", nameof(checkpoint));
        }

        DataPosition? position = data is null ? null : new DataPosition(Integer("data.epoch"), Integer("data.index"));
        var carried = new List<(int Layer, int Direction, bool Cell, int Hidden, T[] Values)>();
        if (streams > 0)
        {
            foreach ((int layer, int direction, bool cell, int hidden) in States())
            {
                T[] values = checkpoint.GetBlock<T>(StateName(layer, direction, cell)).ToArray();
                if (values.Length != streams * hidden)
                {
                    throw new ArgumentException($"{checkpoint.SourceName} has a carried state of {values.Length} values where {streams} streams of {hidden} need {streams * hidden}.", nameof(checkpoint));
                }

                carried.Add((layer, direction, cell, hidden, values));
            }
        }

        // Everything checked; the parameters last of the checks (they throw on another architecture) and first of the writes.
        checkpoint.RestoreParameters(_model);
        state.CopyTo(Optimizer.State);
        Optimizer.StepCount = optimizerStep;
        StepCount = step;
        _skipped = skipped;
        _trainingStreams = streams;
        if (data is not null)
        {
            data.Position = position!.Value;
        }

        ResetStreams();
        for (int w = 0; w < _workers.Length; w++)
        {
            (int first, int count) = Share(w, _workers.Length, streams);
            Worker worker = _workers[w];
            if (count == 0)
            {
                continue;
            }

            worker.Tape.SetShape(MaxSteps, count);
            foreach ((int layer, int direction, bool cell, int hidden, T[] values) in carried)
            {
                Span<T> region = cell ? worker.Tape.InitialCell(layer, direction) : worker.Tape.InitialHidden(layer, direction);
                values.AsSpan(first * hidden, count * hidden).CopyTo(region);
            }
        }
    }

    /// <summary>The optimiser's type name without its arity: <c>Adam</c>.</summary>
    private string OptimizerName => Optimizer.GetType().Name.Split('`')[0];

    /// <summary>Every state a tape carries: (layer, direction, whether it is an LSTM's cell, hidden size).</summary>
    private IEnumerable<(int Layer, int Direction, bool Cell, int Hidden)> States()
    {
        IReadOnlyList<LayerDescription> layers = _model.Description.Layers;
        for (int k = 0; k < layers.Count; k++)
        {
            for (int d = 0; d < (layers[k].Bidirectional ? 2 : 1); d++)
            {
                yield return (k, d, false, layers[k].Hidden);
                if (layers[k].Kind == LayerKind.Lstm)
                {
                    yield return (k, d, true, layers[k].Hidden);
                }
            }
        }
    }

    private static string StateName(int layer, int direction, bool cell) => $"streams.{(cell ? "c" : "h")}{layer}.{direction}";
}
