using System;
using System.Numerics;

namespace NativeRnn.Training;

/// <summary>
/// The vanishing-gradient diagnostic of the seeds, measured: for one batch, the norm of <c>∂L/∂h_t</c> at every step of
/// every layer, from a real backward pass. Through a tanh RNN the norm of an early step's gradient falls geometrically
/// with its distance from the loss; through an LSTM's cell it falls far less.
/// </summary>
public static class GradientFlow
{
    /// <summary>Measures the gradient flow of the next batch of <paramref name="source"/>.</summary>
    /// <param name="model">The model.</param>
    /// <param name="source">The data; one batch is drawn.</param>
    /// <typeparam name="T">The element type.</typeparam>
    /// <returns>Per layer (forward direction), <c>‖∂L/∂h_t‖</c> for <c>t = 0 … Steps − 1</c> over the batch.</returns>
    public static double[][] Measure<T>(IRecurrentModel<T> model, IBatchSource<T> source)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(source);
        Batch<T> batch = source.CreateBatch();
        if (!source.Next(batch) && !source.Next(batch))
        {
            throw new ArgumentException("The source served no batch.", nameof(source));
        }

        return Measure(model, batch);
    }

    /// <summary>Measures the gradient flow of one batch: forward (no dropout), the batch's loss, backward.</summary>
    /// <param name="model">The model.</param>
    /// <param name="batch">The batch.</param>
    /// <param name="direction">0 for the forward direction of each layer, 1 for the reverse one of bidirectional layers.</param>
    /// <typeparam name="T">The element type.</typeparam>
    /// <returns>Per layer, <c>‖∂L/∂h_t‖</c> for <c>t = 0 … Steps − 1</c> over the batch.</returns>
    public static double[][] Measure<T>(IRecurrentModel<T> model, Batch<T> batch, int direction = 0)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(batch);
        using var trainer = new Trainer<T>(model, new Sgd<T>(model.Parameters.Length, 1), batch.Steps, batch.Sequences);
        IRecurrentTape<T> tape = trainer.Tape();
        tape.RecordGradientFlow = true;
        tape.DropoutEnabled = false;
        T[] parameters = model.Parameters.ToArray();
        try
        {
            trainer.Step(batch);
        }
        finally
        {
            // A measurement, not a training step: the parameters stay as they were.
            parameters.CopyTo(model.Parameters);
        }

        var norms = new double[model.Description.Layers.Count][];
        for (int k = 0; k < norms.Length; k++)
        {
            norms[k] = tape.HiddenGradientNorms(k, direction).ToArray();
        }

        return norms;
    }
}
