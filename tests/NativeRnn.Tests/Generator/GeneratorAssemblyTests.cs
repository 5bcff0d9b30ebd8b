using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using NativeRnn.Generators;
using Xunit;
using Xunit.Abstractions;

namespace NativeRnn.Tests.Generator;

/// <summary>
/// The compiler of every supported SDK band must be able to load the generator: a compiler refuses a
/// generator built against a newer Roslyn than its own, and the oldest band supported, 8.0.1xx, ships
/// Roslyn 4.8 (with System.Collections.Immutable and System.Reflection.Metadata 7.0). Read from the
/// built assembly's metadata, so a version bump anywhere (central versions, transitive pins) is caught.
/// </summary>
public class GeneratorAssemblyTests(ITestOutputHelper output)
{
    private static readonly Version OldestSupportedRoslyn = new(4, 8, 0, 0);

    private static readonly Version RoslynDependencies = new(7, 0, 0, 0);

    [Fact]
    public void The_generator_references_no_Roslyn_newer_than_the_oldest_supported_SDK_has()
    {
        Dictionary<string, Version> references = ReadReferences(out _);
        foreach ((string name, Version version) in references)
        {
            output.WriteLine($"{name} {version}");
        }

        Assert.Contains("Microsoft.CodeAnalysis", references.Keys);
        foreach ((string name, Version version) in references.Where(r => r.Key.StartsWith("Microsoft.CodeAnalysis", StringComparison.Ordinal)))
        {
            Assert.True(version <= OldestSupportedRoslyn, $"{name} {version} is newer than Roslyn {OldestSupportedRoslyn}");
        }

        foreach (string name in new[] { "System.Collections.Immutable", "System.Reflection.Metadata" })
        {
            if (references.TryGetValue(name, out Version? version))
            {
                Assert.True(version <= RoslynDependencies, $"{name} {version} is newer than Roslyn 4.8 carries ({RoslynDependencies})");
            }
        }
    }

    [Fact]
    public void The_generator_targets_netstandard2_0()
    {
        Dictionary<string, Version> references = ReadReferences(out string? targetFramework);
        Assert.Equal(".NETStandard,Version=v2.0", targetFramework);
        Assert.Equal(new Version(2, 0, 0, 0), references["netstandard"]);
        Assert.DoesNotContain("System.Runtime", references.Keys);
        Assert.DoesNotContain("System.Private.CoreLib", references.Keys);
    }

    private static Dictionary<string, Version> ReadReferences(out string? targetFramework)
    {
        string path = typeof(RnnModelGenerator).Assembly.Location;
        Assert.True(File.Exists(path), path);
        using var stream = File.OpenRead(path);
        using var pe = new PEReader(stream);
        MetadataReader metadata = pe.GetMetadataReader();
        var references = metadata.AssemblyReferences
            .Select(handle => metadata.GetAssemblyReference(handle))
            .ToDictionary(reference => metadata.GetString(reference.Name), reference => reference.Version, StringComparer.Ordinal);

        targetFramework = null;
        foreach (CustomAttributeHandle handle in metadata.GetAssemblyDefinition().GetCustomAttributes())
        {
            CustomAttribute attribute = metadata.GetCustomAttribute(handle);
            if (attribute.Constructor.Kind == HandleKind.MemberReference
                && metadata.GetMemberReference((MemberReferenceHandle)attribute.Constructor).Parent is { Kind: HandleKind.TypeReference } parent
                && metadata.GetString(metadata.GetTypeReference((TypeReferenceHandle)parent).Name) == "TargetFrameworkAttribute")
            {
                // The blob is the prolog (2 bytes) and then the serialized framework name.
                BlobReader blob = metadata.GetBlobReader(attribute.Value);
                blob.ReadUInt16();
                targetFramework = blob.ReadSerializedString();
            }
        }

        return references;
    }
}
