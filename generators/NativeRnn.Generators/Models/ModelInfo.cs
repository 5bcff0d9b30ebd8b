using NativeRnn.Generators.Helpers;

namespace NativeRnn.Generators.Models;

/// <summary>Recurrent layer kinds.</summary>
internal enum LayerKind
{
    SimpleRnn,
    Lstm,
    Gru,
}

/// <summary>Nonlinearity of a simple RNN layer (values match <c>NativeRnn.Activation</c>).</summary>
internal enum ActivationKind
{
    Tanh = 0,
    Relu = 1,
    Sigmoid = 2,
}

/// <summary>Element type of a model.</summary>
internal enum ElementKind
{
    Single,
    Double,
}

/// <summary>One type around the model type (for nested declarations), e.g. <c>partial class Outer</c>.</summary>
internal sealed record ContainingTypeInfo(string Keyword, string Name);

/// <summary>Where the model type sits: namespace, enclosing types, its own keyword and name.</summary>
internal sealed record HierarchyInfo(string Namespace, EquatableArray<ContainingTypeInfo> ContainingTypes, string Keyword, string Name, bool IsValueType)
{
    /// <summary>
    /// The generated file's hint name: the namespace with dots, containing types with <c>+</c> as metadata names write
    /// them (<c>A.B+M.g.cs</c>), so a type nested in <c>B</c> never collides with a type in namespace <c>A.B</c>.
    /// </summary>
    public string HintName
    {
        get
        {
            var builder = new System.Text.StringBuilder();
            if (Namespace.Length > 0)
            {
                builder.Append(Namespace).Append('.');
            }

            foreach (ContainingTypeInfo containing in ContainingTypes)
            {
                builder.Append(containing.Name).Append('+');
            }

            return builder.Append(Name).Append(".g.cs").ToString();
        }
    }
}

/// <summary>Weight initialisers (values match <c>NativeRnn.WeightInitializer</c>); Default means the role's standard.</summary>
internal enum InitializerKind
{
    Default = 0,
    GlorotUniform = 1,
    GlorotNormal = 2,
    Orthogonal = 3,
    Identity = 4,
    PyTorchUniform = 5,
    StandardNormal = 6,
    Zeros = 7,
}

/// <summary>A recurrent layer as declared; <c>InputDropout</c> is the rate of a <c>[Dropout]</c> declared before it (0 for none).</summary>
internal sealed record LayerInfo(
    LayerKind Kind,
    int Hidden,
    ActivationKind Activation,
    bool Bidirectional,
    bool ResetAfter,
    bool Bias = true,
    double InputDropout = 0,
    InitializerKind InputWeights = InitializerKind.Default,
    InitializerKind RecurrentWeights = InitializerKind.Default,
    double ForgetGateBias = 1.0);

/// <summary>A whole model as declared: everything the emitter needs, and nothing from Roslyn.</summary>
internal sealed record ModelInfo(
    HierarchyInfo Hierarchy,
    ElementKind Element,
    int InputSize,
    int Vocabulary,
    int EmbeddingDimension,
    EquatableArray<LayerInfo> Layers,
    int HeadOutputs,
    bool AllowUnsafe,
    double HeadDropout = 0,
    InitializerKind HeadWeights = InitializerKind.Default)
{
    public bool HasEmbedding => Vocabulary > 0;
}

/// <summary>The outcome of reading one declaration: a model when it is valid, and the diagnostics either way.</summary>
internal sealed record ParseResult(ModelInfo? Model, EquatableArray<DiagnosticInfo> Diagnostics);
