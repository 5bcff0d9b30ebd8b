using System;

namespace NativeRnn;

/// <summary>
/// Marks a <c>partial</c> class or struct as a recurrent model. The layers are the
/// <see cref="SimpleRnnAttribute"/>, <see cref="DenseAttribute"/> (and further layer attributes) on the same
/// type, in declaration order; the NativeRnn source generator writes the model's fixed-size forward,
/// backward and streaming code into the other half of the partial type.
/// </summary>
/// <example>
/// <code>
/// [RnnModel(InputSize = 1)]
/// [SimpleRnn(32)]
/// [Dense(1)]
/// public partial class SineForecaster;
/// </code>
/// </example>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct, AllowMultiple = false, Inherited = false)]
public sealed class RnnModelAttribute : Attribute
{
    /// <summary>Features per time step for real-valued inputs (the length of <c>x_t</c>); must be positive.</summary>
    public int InputSize { get; set; }

    /// <summary>
    /// The element type of parameters, states and inputs: <c>typeof(float)</c> (the default) or
    /// <c>typeof(double)</c>. Double precision is what makes tight finite-difference checks possible.
    /// </summary>
    public Type ElementType { get; set; } = typeof(float);
}
