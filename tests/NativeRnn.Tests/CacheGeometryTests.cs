using System;
using System.IO;
using NativeRnn.Kernels;
using Xunit;

namespace NativeRnn.Tests;

/// <summary>Reading the caches' geometry (Linux's description, sanity bounds) and the copy threshold the products derive from it.</summary>
public class CacheGeometryTests
{
    [Theory]
    [InlineData("48K", 48 * 1024)]
    [InlineData("2048K", 2 * 1024 * 1024)]
    [InlineData("2M", 2 * 1024 * 1024)]
    [InlineData("65536", 65536)]
    public void Sizes_as_Linux_writes_them(string text, long bytes) => Assert.Equal(bytes, CacheGeometry.ParseSize(text));

    [Fact]
    public void Linux_cache_folders_give_the_L1_data_cache_and_the_L2()
    {
        string folder = Path.Combine(Path.GetTempPath(), "nrnn-cache-" + Guid.NewGuid().ToString("N"));
        try
        {
            Write(folder, "index0", 1, "Data", "48K", 12);
            Write(folder, "index1", 1, "Instruction", "32K", 8);
            Write(folder, "index2", 2, "Unified", "2048K", 16);
            Write(folder, "index3", 3, "Unified", "107520K", 15);
            CacheGeometry geometry = CacheGeometry.FromSysfs(folder)!;

            Assert.Equal(new CacheGeometry(48 * 1024, 12, 64, 2 * 1024 * 1024, "sysfs"), geometry);
            Assert.Equal(4096, geometry.L1SetPeriodBytes);
            Assert.Equal("L1d 48 KiB 12-way, 64-byte lines; L2 2048 KiB (sysfs)", geometry.ToString());
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void A_missing_folder_reads_as_nothing() => Assert.Null(CacheGeometry.FromSysfs(Path.Combine(Path.GetTempPath(), "nrnn-no-such-" + Guid.NewGuid().ToString("N"))));

    [Theory]
    [InlineData(0, 8, 64)]           // no size
    [InlineData(32 * 1024, 0, 64)]   // no ways
    [InlineData(32 * 1024, 255, 64)] // AMD's code for fully associative
    [InlineData(32 * 1024, 8, 48)]   // a line that is not a power of two
    [InlineData(48 * 1024, 7, 64)]   // sets that do not divide evenly
    public void Implausible_readings_fall_back_to_the_assumed_geometry(long l1, long ways, long line)
        => Assert.Same(CacheGeometry.Assumed, CacheGeometry.Plausible(l1, ways, line, 0, "test"));

    [Fact]
    public void This_machine_reads_as_a_plausible_geometry()
    {
        CacheGeometry current = CacheGeometry.Current;
        Assert.InRange(current.L1DataBytes, 8 * 1024, 1024 * 1024);
        Assert.Equal(0, current.L1DataBytes % (current.L1Ways * current.LineBytes));
    }

    [Theory]
    [InlineData(32 * 1024, 8, 2048)]    // Zen 3 and most x64 cores: a 4 KiB set period
    [InlineData(48 * 1024, 12, 2048)]   // Zen 5, Intel cores since Ice Lake
    [InlineData(64 * 1024, 4, 8192)]    // a 64 KiB 4-way L1d (Neoverse V1): a 16 KiB period
    [InlineData(128 * 1024, 8, 8192)]   // a 128 KiB 8-way L1d (Apple's large cores)
    [InlineData(16 * 1024, 16, 1024)]  // a small, wide L1d: never below 1 KiB, where copying measured slower
    public void The_copy_threshold_is_half_the_L1_set_period(int l1, int ways, int threshold)
        => Assert.Equal(threshold, Gemm.PackStrideFor(new CacheGeometry(l1, ways, 64, 0, "test")));

    private static void Write(string folder, string index, int level, string type, string size, int ways)
    {
        string path = Path.Combine(folder, index);
        Directory.CreateDirectory(path);
        File.WriteAllText(Path.Combine(path, "level"), $"{level}\n");
        File.WriteAllText(Path.Combine(path, "type"), $"{type}\n");
        File.WriteAllText(Path.Combine(path, "size"), $"{size}\n");
        File.WriteAllText(Path.Combine(path, "ways_of_associativity"), $"{ways}\n");
        File.WriteAllText(Path.Combine(path, "coherency_line_size"), "64\n");
    }
}
