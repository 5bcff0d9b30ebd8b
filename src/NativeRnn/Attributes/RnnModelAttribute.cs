using System;

namespace NativeRnn;

/// <summary>
/// Marks a <c>partial</c> class or struct as a recurrent model. The layers are the
/// <see cref="EmbeddingAttribute"/>, <see cref="SimpleRnnAttribute"/>, <see cref="LstmAttribute"/>,
/// <see cref="GruAttribute"/> and <see cref="DenseAttribute"/> attributes on the same type, in declaration order; the NativeRnn source generator writes the model's fixed-size forward,
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
    /// <summary>
    /// Features per time step for real-valued inputs (the length of <c>x_t</c>); must be positive. Leave it
    /// unset when the first layer is an <see cref="EmbeddingAttribute"/>, whose token ids are the inputs.
    /// </summary>
    public int InputSize { get; set; }

    /// <summary>
    /// Set to <see langword="true"/> to require streaming inference (<c>State</c> and <c>Step</c>): the generator
    /// then reports NRNN0012 if a layer is bidirectional, which needs the whole sequence. Unset, a model
    /// streams exactly when every layer runs forward in time.
    /// </summary>
    public bool Streaming { get; set; }

    /// <summary>
    /// The element type of parameters, states and inputs: <c>typeof(float)</c> (the default) or
    /// <c>typeof(double)</c>. Double precision is what makes tight finite-difference checks possible.
    /// </summary>
    public Type ElementType { get; set; } = typeof(float);
}
