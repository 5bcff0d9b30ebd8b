using Microsoft.CodeAnalysis;
using NativeRnn.Generators.Helpers;
using NativeRnn.Generators.Models;

namespace NativeRnn.Generators;

/// <summary>
/// Turns each <c>[RnnModel]</c> declaration into its generated forward, backward and streaming code.
/// The pipeline: find the attribute → read an equatable <see cref="ParseResult"/> (no symbols leave
/// the transform) → report diagnostics and emit source as two separate streams, so a diagnostic-only
/// change never re-runs emission and an unrelated edit leaves every step cached.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed partial class RnnModelGenerator : IIncrementalGenerator
{
    /// <summary>Metadata name of the attribute that marks a model.</summary>
    public const string ModelAttributeName = "NativeRnn.RnnModelAttribute";

    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        IncrementalValuesProvider<ParseResult> results = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                ModelAttributeName,
                predicate: static (node, _) => node is Microsoft.CodeAnalysis.CSharp.Syntax.TypeDeclarationSyntax,
                transform: static (context, token) => Execute.Parse(context, token))
            .WithTrackingName(TrackingNames.Parse);

        IncrementalValuesProvider<DiagnosticInfo> diagnostics = results
            .SelectMany(static (result, _) => result.Diagnostics)
            .WithTrackingName(TrackingNames.Diagnostics);

        context.RegisterSourceOutput(diagnostics, static (context, diagnostic) => context.ReportDiagnostic(diagnostic.ToDiagnostic()));

        IncrementalValuesProvider<ModelInfo> models = results
            .Where(static result => result.Model is not null)
            .Select(static (result, _) => result.Model!)
            .WithTrackingName(TrackingNames.Models);

        context.RegisterSourceOutput(models, static (context, model) => Execute.Emit(context, model));
    }
}

/// <summary>Names of the pipeline steps, for incrementality tests.</summary>
public static class TrackingNames
{
    /// <summary>The attribute lookup and transform into <see cref="ParseResult"/>.</summary>
    public const string Parse = "NativeRnn.Parse";

    /// <summary>The diagnostics stream.</summary>
    public const string Diagnostics = "NativeRnn.Diagnostics";

    /// <summary>The valid models stream.</summary>
    public const string Models = "NativeRnn.Models";
}
