using Microsoft.CodeAnalysis;

namespace NativeRnn.Generators.Diagnostics;

/// <summary>
/// Every diagnostic the generator reports. IDs are never reused; see docs/diagnostics.md and
/// AnalyzerReleases.*.md when adding one.
/// </summary>
internal static class DiagnosticDescriptors
{
    private const string Category = "NativeRnn";

    public static readonly DiagnosticDescriptor TypeNotPartial = new(
        id: "NRNN0001",
        title: "Model type must be partial",
        messageFormat: "The model type '{0}' must be declared partial (as must every type that contains it) so that the generator can add its code",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "The generator writes the model's code into the other half of a partial type.",
        helpLinkUri: HelpLinks.For("NRNN0001"));

    public static readonly DiagnosticDescriptor NoRecurrentLayer = new(
        id: "NRNN0002",
        title: "Model has no recurrent layer",
        messageFormat: "The model '{0}' declares no recurrent layer; add at least one [SimpleRnn], [Lstm] or [Gru] attribute",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        helpLinkUri: HelpLinks.For("NRNN0002"));

    public static readonly DiagnosticDescriptor SizeNotPositive = new(
        id: "NRNN0003",
        title: "Size must be positive",
        messageFormat: "{0} of '{1}' must be positive, but is {2}",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        helpLinkUri: HelpLinks.For("NRNN0003"));

    public static readonly DiagnosticDescriptor UnknownActivation = new(
        id: "NRNN0004",
        title: "Unknown activation",
        messageFormat: "The activation value {0} on '{1}' is not one of Activation.Tanh, Activation.Relu or Activation.Sigmoid",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        helpLinkUri: HelpLinks.For("NRNN0004"));

    public static readonly DiagnosticDescriptor UnsupportedElementType = new(
        id: "NRNN0005",
        title: "Unsupported element type",
        messageFormat: "The element type '{0}' of model '{1}' is not supported; use typeof(float) or typeof(double)",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        helpLinkUri: HelpLinks.For("NRNN0005"));

    public static readonly DiagnosticDescriptor MissingInputSize = new(
        id: "NRNN0006",
        title: "Model has no input size",
        messageFormat: "The model '{0}' has no input size; set InputSize on [RnnModel] to the number of features per time step, or start with an [Embedding] layer",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        helpLinkUri: HelpLinks.For("NRNN0006"));

    public static readonly DiagnosticDescriptor HeadNotLast = new(
        id: "NRNN0007",
        title: "Dense head must be the single last layer",
        messageFormat: "[Dense] must appear once, as the last layer of '{0}'; here it is followed by another layer or repeated",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        helpLinkUri: HelpLinks.For("NRNN0007"));

    public static readonly DiagnosticDescriptor GenericModel = new(
        id: "NRNN0008",
        title: "Model type cannot be generic",
        messageFormat: "The model type '{0}' is generic or nested in a generic type; sizes are fixed at compile time, so declare it without type parameters",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        helpLinkUri: HelpLinks.For("NRNN0008"));

    public static readonly DiagnosticDescriptor UnsupportedTypeKind = new(
        id: "NRNN0009",
        title: "Model type kind not supported",
        messageFormat: "The model type '{0}' is {1}; declare the model as a non-static class or a non-ref struct",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        helpLinkUri: HelpLinks.For("NRNN0009"));

    public static readonly DiagnosticDescriptor LayersSplit = new(
        id: "NRNN0010",
        title: "Layers declared on several partial declarations",
        messageFormat: "The layers of '{0}' are spread over several partial declarations, so their order is undefined; declare every layer attribute on the declaration that has [RnnModel]",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        helpLinkUri: HelpLinks.For("NRNN0010"));

    public static readonly DiagnosticDescriptor EmbeddingNotFirst = new(
        id: "NRNN0011",
        title: "Embedding must be the single first layer",
        messageFormat: "[Embedding] must appear once, as the first layer of '{0}', before every recurrent layer",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        helpLinkUri: HelpLinks.For("NRNN0011"));

    public static readonly DiagnosticDescriptor StreamingBidirectional = new(
        id: "NRNN0012",
        title: "A bidirectional layer cannot stream",
        messageFormat: "'{0}' asks for streaming (Streaming = true) but layer {1} is bidirectional: its reverse direction needs the whole sequence before the first output, so there is no step-by-step State or Step",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        helpLinkUri: HelpLinks.For("NRNN0012"));

    public static readonly DiagnosticDescriptor InputSizeWithEmbedding = new(
        id: "NRNN0013",
        title: "InputSize conflicts with an embedding",
        messageFormat: "'{0}' starts with an [Embedding], whose token ids are the inputs; remove InputSize from [RnnModel]",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        helpLinkUri: HelpLinks.For("NRNN0013"));

    public static readonly DiagnosticDescriptor DropoutRate = new(
        id: "NRNN0015",
        title: "Dropout rate out of range",
        messageFormat: "The dropout rate {0} on '{1}' must be at least 0 and less than 1",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "A rate of 1 would drop every element; a rate outside [0, 1) is not a probability.",
        helpLinkUri: HelpLinks.For("NRNN0015"));

    public static readonly DiagnosticDescriptor DropoutPlacement = new(
        id: "NRNN0016",
        title: "Dropout must precede a layer",
        messageFormat: "[Dropout] on '{0}' must be followed by a recurrent layer or [Dense], whose input it drops; here it {1}",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        helpLinkUri: HelpLinks.For("NRNN0016"));

    public static readonly DiagnosticDescriptor InvalidInitializer = new(
        id: "NRNN0017",
        title: "Invalid initialiser",
        messageFormat: "{0} on '{1}' is {2}, which is not a valid {3}",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        helpLinkUri: HelpLinks.For("NRNN0017"));

    /// <summary>Reported by the compiler (through ObsoleteAttribute.DiagnosticId) where code uses streaming members of a bidirectional model.</summary>
    public const string StreamingUseId = "NRNN0014";

    public static readonly DiagnosticDescriptor InternalError = new(
        id: "NRNN9999",
        title: "Internal generator error",
        messageFormat: "The NativeRnn generator failed on '{0}': {1}; please report this",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        helpLinkUri: HelpLinks.For("NRNN9999"));
}
