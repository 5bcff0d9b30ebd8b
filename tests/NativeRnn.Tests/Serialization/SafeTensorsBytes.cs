using System;
using System.Buffers.Binary;
using System.Text;

namespace NativeRnn.Tests.Serialization;

/// <summary>Builds safetensors bytes by hand, header text and data separately, for tests of the reader.</summary>
public static class SafeTensorsBytes
{
    public static byte[] File(string header, byte[] data, ulong? claimedLength = null)
    {
        byte[] json = Encoding.UTF8.GetBytes(header);
        byte[] bytes = new byte[8 + json.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, claimedLength ?? (ulong)json.Length);
        json.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + json.Length);
        return bytes;
    }

    public static byte[] Floats(params float[] values)
    {
        byte[] bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), values[i]);
        }

        return bytes;
    }
}
