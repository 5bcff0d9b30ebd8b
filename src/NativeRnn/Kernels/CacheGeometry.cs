using System;
using System.ComponentModel;
using System.Globalization;
using System.IO;
using System.Runtime.Intrinsics.X86;

namespace NativeRnn.Kernels;

/// <summary>
/// The data caches of the core this process runs on, read once at start-up: what the training products size their
/// blocks by (see <see cref="Gemm"/>). Read from the processor itself on x64 (CPUID's cache descriptors), from Linux's
/// <c>/sys</c> elsewhere, and assumed as the smallest of the class (32 KiB 8-way L1d, 512 KiB L2) where neither answers.
/// </summary>
/// <param name="L1DataBytes">Size of the level-1 data cache of one core.</param>
/// <param name="L1Ways">Its associativity.</param>
/// <param name="LineBytes">Its line size.</param>
/// <param name="L2Bytes">Size of the level-2 cache of one core (0 when unknown).</param>
/// <param name="Source">Where the figures came from: <c>cpuid</c>, <c>sysfs</c> or <c>assumed</c>.</param>
[EditorBrowsable(EditorBrowsableState.Advanced)]
public sealed record CacheGeometry(int L1DataBytes, int L1Ways, int LineBytes, int L2Bytes, string Source)
{
    /// <summary>The geometry assumed when the machine does not say: the smallest L1d and L2 of the x64 and ARM64 cores the suite has run on.</summary>
    public static CacheGeometry Assumed { get; } = new(32 * 1024, 8, 64, 512 * 1024, "assumed");

    /// <summary>This machine's caches, as read at first use.</summary>
    public static CacheGeometry Current { get; } = Detect();

    /// <summary>
    /// The distance, in bytes, at which two addresses fall into the same L1 set (size ÷ ways: 4 KiB on the x64 cores of
    /// the class). Rows of a matrix this far apart, or a multiple of it, compete for one set's few ways.
    /// </summary>
    public int L1SetPeriodBytes => L1DataBytes / L1Ways;

    /// <summary>The geometry as one line, for reports: <c>L1d 48 KiB 12-way, 64-byte lines; L2 1024 KiB (cpuid)</c>.</summary>
    /// <returns>The description.</returns>
    public override string ToString()
        => string.Create(CultureInfo.InvariantCulture, $"L1d {L1DataBytes / 1024} KiB {L1Ways}-way, {LineBytes}-byte lines; L2 {(L2Bytes > 0 ? $"{L2Bytes / 1024} KiB" : "unknown")} ({Source})");

    /// <summary>
    /// Checks a reading and keeps it only if it is plausible: an L1d from 8 KiB to 1 MiB with 1 to 64 ways, lines of
    /// 16 to 256 bytes, all powers of two where the hardware makes them so; otherwise <see cref="Assumed"/>.
    /// </summary>
    /// <param name="l1Bytes">L1d size in bytes.</param>
    /// <param name="ways">L1d ways.</param>
    /// <param name="lineBytes">Line size in bytes.</param>
    /// <param name="l2Bytes">L2 size in bytes, or 0.</param>
    /// <param name="source">Where the reading came from.</param>
    /// <returns>The geometry, or <see cref="Assumed"/>.</returns>
    internal static CacheGeometry Plausible(long l1Bytes, long ways, long lineBytes, long l2Bytes, string source)
    {
        bool valid = l1Bytes is >= 8 * 1024 and <= 1024 * 1024
            && ways is >= 1 and <= 64
            && lineBytes is >= 16 and <= 256 && (lineBytes & (lineBytes - 1)) == 0
            && l1Bytes % (ways * lineBytes) == 0
            && l2Bytes is >= 0 and <= 1L << 30;
        return valid ? new CacheGeometry((int)l1Bytes, (int)ways, (int)lineBytes, (int)l2Bytes, source) : Assumed;
    }

    private static CacheGeometry Detect()
    {
        try
        {
            return FromCpuid() ?? FromSysfs("/sys/devices/system/cpu/cpu0/cache") ?? Assumed;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or OverflowException)
        {
            return Assumed;
        }
    }

    /// <summary>
    /// CPUID's deterministic cache parameters (leaf 4 on Intel, 0x8000001D on AMD and Hygon, the same layout), else AMD's
    /// older L1 and L2 descriptors (0x80000005 and 0x80000006), which some hypervisors fill while they zero the first.
    /// </summary>
    private static CacheGeometry? FromCpuid()
    {
        if (!X86Base.IsSupported)
        {
            return null;
        }

        (int maxLeaf, int vendorB, int vendorC, int vendorD) = X86Base.CpuId(0, 0);
        bool intel = vendorB == 0x756E6547 && vendorD == 0x49656E69 && vendorC == 0x6C65746E; // "GenuineIntel"
        int maxExtended = X86Base.CpuId(unchecked((int)0x80000000), 0).Eax;
        int leaf = intel && maxLeaf >= 4 ? 4 : maxExtended >= unchecked((int)0x8000001D) ? unchecked((int)0x8000001D) : 0;
        if (leaf != 0 && Deterministic(leaf) is CacheGeometry found)
        {
            return found;
        }

        if (!intel && maxExtended >= unchecked((int)0x80000006))
        {
            // L1d: ECX bits 31–24 size in KiB, 23–16 ways, 7–0 line size; L2: ECX bits 31–16 size in KiB.
            int l1 = X86Base.CpuId(unchecked((int)0x80000005), 0).Ecx;
            int l2 = X86Base.CpuId(unchecked((int)0x80000006), 0).Ecx;
            long l1Bytes = ((l1 >> 24) & 0xFF) * 1024L;
            return l1Bytes == 0 ? null : Plausible(l1Bytes, (l1 >> 16) & 0xFF, l1 & 0xFF, ((l2 >> 16) & 0xFFFF) * 1024L, "cpuid");
        }

        return null;
    }

    /// <summary>The L1d and L2 of one deterministic cache-parameter leaf, or null where it lists none.</summary>
    private static CacheGeometry? Deterministic(int leaf)
    {
        long l1 = 0, ways = 0, line = 0, l2 = 0;
        for (int index = 0; index < 16; index++)
        {
            (int eax, int ebx, int ecx, _) = X86Base.CpuId(leaf, index);
            int type = eax & 0x1F, level = (eax >> 5) & 0x7;
            if (type == 0)
            {
                break;
            }

            long cacheWays = ((ebx >> 22) & 0x3FF) + 1L, partitions = ((ebx >> 12) & 0x3FF) + 1L, lineSize = (ebx & 0xFFF) + 1L, sets = (uint)ecx + 1L;
            long size = cacheWays * partitions * lineSize * sets;
            bool holdsData = type is 1 or 3; // 1 data, 2 instruction, 3 unified
            if (level == 1 && holdsData)
            {
                (l1, ways, line) = (size, cacheWays, lineSize);
            }
            else if (level == 2 && holdsData)
            {
                l2 = size;
            }
        }

        return l1 == 0 ? null : Plausible(l1, ways, line, l2, "cpuid");
    }

    /// <summary>Linux's description of cpu0's caches (<c>index*/level, type, size, ways_of_associativity, coherency_line_size</c>).</summary>
    internal static CacheGeometry? FromSysfs(string folder)
    {
        if (!Directory.Exists(folder))
        {
            return null;
        }

        long l1 = 0, ways = 0, line = 0, l2 = 0;
        foreach (string index in Directory.GetDirectories(folder, "index*"))
        {
            string Read(string name) => File.ReadAllText(Path.Combine(index, name)).Trim();
            if (!File.Exists(Path.Combine(index, "size")))
            {
                continue;
            }

            string type = Read("type");
            int level = int.Parse(Read("level"), CultureInfo.InvariantCulture);
            long size = ParseSize(Read("size"));
            if (level == 1 && type is "Data" or "Unified")
            {
                l1 = size;
                ways = File.Exists(Path.Combine(index, "ways_of_associativity")) ? long.Parse(Read("ways_of_associativity"), CultureInfo.InvariantCulture) : 0;
                line = File.Exists(Path.Combine(index, "coherency_line_size")) ? long.Parse(Read("coherency_line_size"), CultureInfo.InvariantCulture) : 64;
            }
            else if (level == 2 && type is "Data" or "Unified")
            {
                l2 = size;
            }
        }

        return l1 == 0 ? null : Plausible(l1, ways, line, l2, "sysfs");
    }

    /// <summary><c>48K</c>, <c>1024K</c>, <c>2M</c> or a plain byte count.</summary>
    internal static long ParseSize(string text)
    {
        long scale = 1;
        if (text.EndsWith('K'))
        {
            scale = 1024;
        }
        else if (text.EndsWith('M'))
        {
            scale = 1024 * 1024;
        }

        return long.Parse(scale == 1 ? text : text[..^1], CultureInfo.InvariantCulture) * scale;
    }
}
