using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using NativeRnn.Generators.Diagnostics;
using NativeRnn.Generators.Emit;
using NativeRnn.Generators.Helpers;
using NativeRnn.Generators.Models;

namespace NativeRnn.Generators;

public sealed partial class RnnModelGenerator
{
    /// <summary>The generator's logic: reading declarations and writing code.</summary>
    internal static class Execute
    {
        private const string Namespace = "NativeRnn.";

        /// <summary>Reads one <c>[RnnModel]</c> declaration. Never throws: a failure becomes NRNN9999.</summary>
        public static ParseResult Parse(GeneratorAttributeSyntaxContext context, CancellationToken token)
        {
            var symbol = (INamedTypeSymbol)context.TargetSymbol;
            AttributeData modelAttribute = context.Attributes[0];
            LocationInfo? modelLocation = LocationInfo.From(modelAttribute.ApplicationSyntaxReference);
            try
            {
                bool allowUnsafe = context.SemanticModel.Compilation.Options is CSharpCompilationOptions { AllowUnsafe: true };
                return ParseModel(symbol, context.TargetNode, modelAttribute, modelLocation, allowUnsafe, token);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                return new ParseResult(null, new EquatableArray<DiagnosticInfo>(new[]
                {
                    DiagnosticInfo.Create(DiagnosticDescriptors.InternalError, modelLocation, symbol.Name, exception.Message),
                }));
            }
        }

        /// <summary>Writes the code of one valid model. Never throws: a failure becomes NRNN9999.</summary>
        public static void Emit(SourceProductionContext context, ModelInfo model)
        {
            try
            {
                context.AddSource(model.Hierarchy.HintName, ModelWriter.Write(model));
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.InternalError, Location.None, model.Hierarchy.Name, exception.Message));
            }
        }

        private static ParseResult ParseModel(INamedTypeSymbol symbol, SyntaxNode targetNode, AttributeData modelAttribute, LocationInfo? modelLocation, bool allowUnsafe, CancellationToken token)
        {
            var diagnostics = new List<DiagnosticInfo>();
            string typeName = symbol.Name;

            // A type with [RnnModel] on two partial declarations is a compiler error already (CS0579);
            // answer only for the first so the generated file is not added twice.
            AttributeData? first = symbol.GetAttributes().FirstOrDefault(a => IsAttribute(a, "RnnModelAttribute"));
            if (first?.ApplicationSyntaxReference?.GetSyntax(token).Parent?.Parent != targetNode)
            {
                return new ParseResult(null, EquatableArray<DiagnosticInfo>.Empty);
            }

            // The type and everything around it must be partial; nothing generic.
            for (INamedTypeSymbol? type = symbol; type is not null; type = type.ContainingType)
            {
                if (!IsPartial(type, token))
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.TypeNotPartial, modelLocation, typeName));
                    break;
                }
            }

            for (INamedTypeSymbol? type = symbol; type is not null; type = type.ContainingType)
            {
                if (type.IsGenericType)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.GenericModel, modelLocation, typeName));
                    break;
                }
            }

            if (symbol.IsStatic)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedTypeKind, modelLocation, typeName, "static"));
            }
            else if (symbol.IsRefLikeType)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedTypeKind, modelLocation, typeName, "a ref struct"));
            }
            else if (symbol.TypeKind is not (TypeKind.Class or TypeKind.Struct))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedTypeKind, modelLocation, typeName, "not a class or struct"));
            }

            // [RnnModel] options.
            int inputSize = 0;
            bool inputSizeSet = false, streaming = false;
            ElementKind element = ElementKind.Single;
            foreach (KeyValuePair<string, TypedConstant> argument in modelAttribute.NamedArguments)
            {
                switch (argument.Key)
                {
                    case "InputSize" when argument.Value.Value is int value:
                        inputSize = value;
                        inputSizeSet = true;
                        break;
                    case "Streaming" when argument.Value.Value is bool value:
                        streaming = value;
                        break;
                    case "ElementType":
                        if (argument.Value.Value is ITypeSymbol { SpecialType: SpecialType.System_Single })
                        {
                            element = ElementKind.Single;
                        }
                        else if (argument.Value.Value is ITypeSymbol { SpecialType: SpecialType.System_Double })
                        {
                            element = ElementKind.Double;
                        }
                        else
                        {
                            string shown = (argument.Value.Value as ITypeSymbol)?.ToDisplayString() ?? "null";
                            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedElementType, modelLocation, shown, typeName));
                        }

                        break;
                }
            }

            // Layers, in declaration order.
            var layers = new List<LayerInfo>();
            int headOutputs = 0, vocabulary = 0, dimension = 0;
            bool headSeen = false, embeddingSeen = false, anythingSeen = false, misplacedEmbedding = false;
            double headDropout = 0;
            var headWeights = InitializerKind.Default;

            // A [Dropout] waits for the layer after it, whose input it drops.
            double pendingDropout = 0;
            bool dropoutPending = false;
            LocationInfo? pendingDropoutLocation = null;
            var declarations = new HashSet<SyntaxNode>();
            foreach (AttributeData attribute in symbol.GetAttributes())
            {
                token.ThrowIfCancellationRequested();
                string? name = attribute.AttributeClass?.ContainingNamespace?.ToDisplayString() == "NativeRnn" ? attribute.AttributeClass.Name : null;
                if (name is not ("SimpleRnnAttribute" or "LstmAttribute" or "GruAttribute" or "EmbeddingAttribute" or "DenseAttribute" or "DropoutAttribute") || attribute.AttributeConstructor is null)
                {
                    continue;
                }

                LocationInfo? location = LocationInfo.From(attribute.ApplicationSyntaxReference);
                if (attribute.ApplicationSyntaxReference?.GetSyntax(token).Parent?.Parent is TypeDeclarationSyntax declaration)
                {
                    declarations.Add(declaration);
                }

                if (name == "DropoutAttribute")
                {
                    double rate = attribute.ConstructorArguments.Length > 0 && attribute.ConstructorArguments[0].Value is double r ? r : double.NaN;
                    if (!(rate >= 0 && rate < 1))
                    {
                        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DropoutRate, location, Show(rate), typeName));
                    }

                    if (dropoutPending)
                    {
                        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DropoutPlacement, location, typeName, "follows another [Dropout]; declare one rate"));
                    }
                    else if (headSeen)
                    {
                        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DropoutPlacement, location, typeName, "comes after [Dense], the last layer"));
                    }

                    if (!headSeen)
                    {
                        pendingDropout = rate >= 0 && rate < 1 ? rate : 0;
                        dropoutPending = true;
                        pendingDropoutLocation = location;
                    }

                    continue;
                }

                double inputDropout = pendingDropout;
                if (dropoutPending && name == "EmbeddingAttribute")
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DropoutPlacement, pendingDropoutLocation, typeName, "comes before [Embedding], whose inputs are token ids; put it after the embedding to drop embedded vectors"));
                }

                pendingDropout = 0;
                dropoutPending = false;

                int size = Argument(attribute, 0);
                if (headSeen)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.HeadNotLast, location, typeName));
                }

                if (name == "EmbeddingAttribute")
                {
                    if (anythingSeen)
                    {
                        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.EmbeddingNotFirst, location, typeName));
                        misplacedEmbedding = true;
                    }

                    embeddingSeen = anythingSeen = true;
                    vocabulary = size;
                    dimension = Argument(attribute, 1);
                    if (vocabulary <= 0)
                    {
                        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.SizeNotPositive, location, "The vocabulary of [Embedding]", typeName, Show(vocabulary)));
                    }

                    if (dimension <= 0)
                    {
                        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.SizeNotPositive, location, "The dimension of [Embedding]", typeName, Show(dimension)));
                    }

                    continue;
                }

                anythingSeen = true;
                if (name == "DenseAttribute")
                {
                    headSeen = true;
                    headOutputs = size;
                    headDropout = inputDropout;
                    if (size <= 0)
                    {
                        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.SizeNotPositive, location, "The outputs of [Dense]", typeName, Show(size)));
                    }

                    foreach (KeyValuePair<string, TypedConstant> argument in attribute.NamedArguments)
                    {
                        if (argument.Key == "Weights" && argument.Value.Value is int value)
                        {
                            headWeights = Initializer(value, "Weights of [Dense]", typeName, location, diagnostics);
                        }
                    }

                    continue;
                }

                if (size <= 0)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.SizeNotPositive, location, $"The hidden size of layer {layers.Count}", typeName, Show(size)));
                }

                var activation = ActivationKind.Tanh;
                bool bidirectional = false, resetAfter = true, bias = true;
                var inputWeights = InitializerKind.Default;
                var recurrentWeights = InitializerKind.Default;
                double forgetGateBias = 1.0;
                foreach (KeyValuePair<string, TypedConstant> argument in attribute.NamedArguments)
                {
                    switch (argument.Key)
                    {
                        case "Activation" when argument.Value.Value is int value:
                            if (value is < 0 or > 2)
                            {
                                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnknownActivation, location, Show(value), typeName));
                            }
                            else
                            {
                                activation = (ActivationKind)value;
                            }

                            break;
                        case "Bidirectional" when argument.Value.Value is bool value:
                            bidirectional = value;
                            break;
                        case "ResetAfter" when argument.Value.Value is bool value:
                            resetAfter = value;
                            break;
                        case "Bias" when argument.Value.Value is bool value:
                            bias = value;
                            break;
                        case "InputWeights" when argument.Value.Value is int value:
                            inputWeights = Initializer(value, $"InputWeights of layer {layers.Count}", typeName, location, diagnostics);
                            break;
                        case "RecurrentWeights" when argument.Value.Value is int value:
                            recurrentWeights = Initializer(value, $"RecurrentWeights of layer {layers.Count}", typeName, location, diagnostics);
                            break;
                        case "ForgetGateBias" when argument.Value.Value is double value:
                            if (double.IsNaN(value) || double.IsInfinity(value))
                            {
                                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidInitializer, location, $"ForgetGateBias of layer {layers.Count}", typeName, Show(value), "finite bias value"));
                            }
                            else
                            {
                                forgetGateBias = value;
                            }

                            break;
                    }
                }

                if (bidirectional && streaming)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.StreamingBidirectional, location, typeName, Show(layers.Count)));
                }

                LayerKind kind = name switch
                {
                    "LstmAttribute" => LayerKind.Lstm,
                    "GruAttribute" => LayerKind.Gru,
                    _ => LayerKind.SimpleRnn,
                };
                layers.Add(new LayerInfo(kind, size, activation, bidirectional, resetAfter, bias, inputDropout, inputWeights, recurrentWeights, kind == LayerKind.Lstm ? forgetGateBias : 1.0));
            }

            if (dropoutPending)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DropoutPlacement, pendingDropoutLocation, typeName, "is the last attribute, so there is no layer whose input it drops"));
            }

            if (misplacedEmbedding)
            {
                // Already reported; which input the author meant is unclear, so say nothing more about it.
            }
            else if (embeddingSeen && inputSizeSet)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InputSizeWithEmbedding, modelLocation, typeName));
            }
            else if (!embeddingSeen && !inputSizeSet)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MissingInputSize, modelLocation, typeName));
            }
            else if (inputSizeSet && inputSize <= 0)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.SizeNotPositive, modelLocation, "InputSize", typeName, Show(inputSize)));
            }

            if (declarations.Count > 1)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.LayersSplit, modelLocation, typeName));
            }

            if (layers.Count == 0)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NoRecurrentLayer, modelLocation, typeName));
            }

            ModelInfo? model = null;
            if (diagnostics.Count == 0)
            {
                model = new ModelInfo(GetHierarchy(symbol), element, embeddingSeen ? dimension : inputSize, vocabulary, dimension, new EquatableArray<LayerInfo>(layers), headOutputs, allowUnsafe, headDropout, headWeights);
            }

            return new ParseResult(model, new EquatableArray<DiagnosticInfo>(diagnostics));
        }

        private static bool IsAttribute(AttributeData attribute, string name)
            => attribute.AttributeClass is { } type && type.Name == name && type.ContainingNamespace?.ToDisplayString() + "." == Namespace;

        private static bool IsPartial(INamedTypeSymbol type, CancellationToken token)
        {
            foreach (SyntaxReference reference in type.DeclaringSyntaxReferences)
            {
                if (reference.GetSyntax(token) is TypeDeclarationSyntax declaration
                    && !declaration.Modifiers.Any(SyntaxKind.PartialKeyword))
                {
                    return false;
                }
            }

            return type.DeclaringSyntaxReferences.Length > 0;
        }

        private static HierarchyInfo GetHierarchy(INamedTypeSymbol symbol)
        {
            string ns = symbol.ContainingNamespace is { IsGlobalNamespace: false } n ? n.ToDisplayString() : string.Empty;
            var containing = new List<ContainingTypeInfo>();
            for (INamedTypeSymbol? type = symbol.ContainingType; type is not null; type = type.ContainingType)
            {
                containing.Insert(0, new ContainingTypeInfo(Keyword(type), type.Name));
            }

            return new HierarchyInfo(ns, new EquatableArray<ContainingTypeInfo>(containing), Keyword(symbol), symbol.Name, symbol.IsValueType);
        }

        private static string Keyword(INamedTypeSymbol type) => (type.IsRecord, type.TypeKind) switch
        {
            (true, TypeKind.Struct) => "record struct",
            (true, _) => "record",
            (false, TypeKind.Struct) => "struct",
            (false, TypeKind.Interface) => "interface",
            _ => "class",
        };

        private static int Argument(AttributeData attribute, int index)
            => attribute.ConstructorArguments.Length > index && attribute.ConstructorArguments[index].Value is int value ? value : 0;

        private static string Show(int value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);

        private static string Show(double value) => value.ToString("R", System.Globalization.CultureInfo.InvariantCulture);

        /// <summary>A declared <c>WeightInitializer</c> value, or a diagnostic when it is not one.</summary>
        private static InitializerKind Initializer(int value, string what, string typeName, LocationInfo? location, List<DiagnosticInfo> diagnostics)
        {
            if (value is < (int)InitializerKind.Default or > (int)InitializerKind.Zeros)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidInitializer, location, what, typeName, Show(value), "WeightInitializer"));
                return InitializerKind.Default;
            }

            return (InitializerKind)value;
        }
    }
}
