using System;
using System.Numerics;

namespace NativeRnn.Training;

/// <summary>Checks that a batch fits the source that fills it.</summary>
internal static class BatchChecks
{
    public static void Fits<T>(Batch<T> batch, IBatchSource<T> source)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.InputWidth != source.InputWidth || batch.TargetWidth != source.TargetWidth || batch.MaxSteps < source.MaxSteps || batch.MaxSequences < source.BatchSize)
        {
            throw new ArgumentException(
                $"The batch holds {batch.MaxSteps} steps × {batch.MaxSequences} sequences of input width {batch.InputWidth} and target width {batch.TargetWidth}, "
                + $"but this source serves {source.MaxSteps} × {source.BatchSize} of widths {source.InputWidth} and {source.TargetWidth}; create it with the source's CreateBatch().",
                nameof(batch));
        }
    }
}
