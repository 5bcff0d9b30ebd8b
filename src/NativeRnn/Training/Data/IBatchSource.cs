using System.Numerics;

namespace NativeRnn.Training;

/// <summary>Where a data source stands: the epoch and the batch within it. A checkpoint saves it; setting it resumes there.</summary>
/// <param name="Epoch">Epochs completed.</param>
/// <param name="Index">Batches served in the current epoch.</param>
public readonly record struct DataPosition(long Epoch, long Index);

/// <summary>
/// Serves minibatches for training or evaluation, epoch after epoch, deterministically: the same seed gives the same
/// batches in the same order, and a saved <see cref="Position"/> resumes exactly where the source stood.
/// </summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
public interface IBatchSource<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <summary>Most steps of a batch.</summary>
    int MaxSteps { get; }

    /// <summary>Sequences of a full batch.</summary>
    int BatchSize { get; }

    /// <summary>Values per input position, or 0 for token ids.</summary>
    int InputWidth { get; }

    /// <summary>Values per target position, or 0 for class targets.</summary>
    int TargetWidth { get; }

    /// <summary>Batches in one epoch.</summary>
    long BatchesPerEpoch { get; }

    /// <summary>Where the source stands.</summary>
    DataPosition Position { get; set; }

    /// <summary>Allocates a batch this source can fill.</summary>
    /// <returns>The batch.</returns>
    Batch<T> CreateBatch();

    /// <summary>Fills <paramref name="batch"/> with the next batch of the current epoch and advances; allocates nothing.</summary>
    /// <param name="batch">A batch from <see cref="CreateBatch"/>.</param>
    /// <returns>False when the epoch is over (the position then moves to the start of the next epoch and nothing is filled).</returns>
    bool Next(Batch<T> batch);
}
