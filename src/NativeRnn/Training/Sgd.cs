using System;
using System.Numerics;
using NativeRnn.Kernels;

namespace NativeRnn.Training;

/// <summary>
/// Plain stochastic gradient descent: <c>θ ← θ − η·∂L/∂θ</c> over a whole parameter block.
/// An update that is not finite is refused before anything is written, so parameters are never
/// left half-updated or non-finite.
/// </summary>
public sealed class Sgd
{
    private double _learningRate;

    /// <summary>Creates the optimiser.</summary>
    /// <param name="learningRate">The step size <c>η</c>, positive and finite.</param>
    public Sgd(double learningRate) => LearningRate = learningRate;

    /// <summary>The step size <c>η</c>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not positive and finite.</exception>
    public double LearningRate
    {
        get => _learningRate;
        set
        {
            if (!(value > 0) || !double.IsFinite(value))
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, "The learning rate must be positive and finite.");
            }

            _learningRate = value;
        }
    }

    /// <summary>Applies one step: <c>θ ← θ − η·g</c>. Allocates nothing.</summary>
    /// <param name="parameters">The parameter block, updated in place.</param>
    /// <param name="gradients">The gradient block, same length.</param>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <exception cref="ArgumentException">
    /// The lengths differ, a gradient is not finite, or the update would make a parameter non-finite;
    /// the parameters are then unchanged.
    /// </exception>
    public void Step<T>(Span<T> parameters, ReadOnlySpan<T> gradients)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        Guard.Length(gradients.Length, parameters.Length, nameof(gradients), "the length of the parameter block");
        Guard.Finite(gradients, nameof(gradients));
        T rate = T.CreateTruncating(_learningRate);
        if (!VectorMath.UpdateStaysFinite<T>(parameters, gradients, rate))
        {
            throw new ArgumentException("The update would make a parameter non-finite; the parameters were left unchanged. Lower the learning rate or clip the gradient.", nameof(gradients));
        }

        VectorMath.SubtractScaled(parameters, gradients, rate);
    }
}
