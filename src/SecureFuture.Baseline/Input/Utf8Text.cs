using System.Buffers;
using System.Text;

namespace SecureFuture.Baseline.Input;

/// <summary>
/// Finds the byte that makes JSON text not UTF-8. <see cref="System.Text.Json.Utf8JsonReader"/> checks the structure
/// but not the bytes inside strings, which fail only when a string is decoded (an
/// <see cref="InvalidOperationException"/>); the readers turn that into an error at the byte's position instead.
/// </summary>
internal static class Utf8Text
{
    /// <summary>The offset of the first byte that is not well-formed UTF-8, or -1.</summary>
    public static int FirstInvalid(ReadOnlySpan<byte> bytes)
    {
        for (var i = 0; i < bytes.Length;)
        {
            if (Rune.DecodeFromUtf8(bytes[i..], out _, out var used) != OperationStatus.Done)
            {
                return i;
            }

            i += used;
        }

        return -1;
    }

    /// <summary>The error for a file with the byte <paramref name="value"/> where UTF-8 was required.</summary>
    public static string Message(byte value) => $"invalid UTF-8 in a JSON string (byte 0x{value:X2}); the file must be UTF-8 (RFC 8259 §8.1)";
}
