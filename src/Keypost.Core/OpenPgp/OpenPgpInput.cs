using System.Text;
using Org.BouncyCastle.Bcpg;

namespace Keypost.Core.OpenPgp;

/// <summary>
/// Turns untrusted input (binary or ASCII-armored) into binary OpenPGP packets, refusing oversized input before
/// reading it all and corrupt armor with a clear message.
/// </summary>
public static class OpenPgpInput
{
    private static readonly byte[] ArmorStart = "-----BEGIN PGP "u8.ToArray();

    public static async Task<byte[]> ReadCappedAsync(Stream stream, int maxBytes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        while (true)
        {
            var read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return buffer.ToArray();
            }

            // Stop at the cap instead of buffering a flood: the caller only learns "too large".
            if (buffer.Length + read > maxBytes)
            {
                throw TooLarge(maxBytes);
            }

            buffer.Write(chunk, 0, read);
        }
    }

    public static byte[] FromText(string text, int maxBytes)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length > maxBytes || Encoding.UTF8.GetByteCount(text) > maxBytes)
        {
            throw TooLarge(maxBytes);
        }

        return Encoding.UTF8.GetBytes(text);
    }

    /// <summary>The binary packets of <paramref name="data"/>, de-armoring when it starts with an armor header.</summary>
    public static byte[] ToBinary(ReadOnlySpan<byte> data, int maxBytes)
    {
        if (data.Length > maxBytes)
        {
            throw TooLarge(maxBytes);
        }

        var start = SkipWhitespace(data);
        if (start == data.Length)
        {
            throw new OpenPgpException(OpenPgpError.NotOpenPgp, "the input is empty");
        }

        var rest = data[start..];
        if (rest.StartsWith(ArmorStart))
        {
            return Dearmor(rest.ToArray());
        }

        // RFC 4880 §4.2: every packet header has bit 7 set; anything else (text, images) is not OpenPGP.
        if ((data[0] & 0x80) == 0)
        {
            throw new OpenPgpException(
                OpenPgpError.NotOpenPgp,
                "the input is neither binary OpenPGP nor ASCII armor");
        }

        return data.ToArray();
    }

    public static OpenPgpException TooLarge(int maxBytes) =>
        new(OpenPgpError.TooLarge, $"the input is larger than the limit of {maxBytes} bytes");

    private static int SkipWhitespace(ReadOnlySpan<byte> data)
    {
        var i = 0;

        // A UTF-8 byte order mark in front of armor is common in files saved by text editors.
        if (data.StartsWith("\uFEFF"u8))
        {
            i = 3;
        }

        while (i < data.Length && data[i] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
        {
            i++;
        }

        return i;
    }

    // RFC 4880 §6.2: armor with a CRC-24 checksum; BouncyCastle checks the checksum when present.
    private static byte[] Dearmor(byte[] armored)
    {
        try
        {
            using var input = new ArmoredInputStream(new MemoryStream(armored, writable: false));
            using var output = new MemoryStream();
            input.CopyTo(output);
            if (output.Length == 0)
            {
                throw new OpenPgpException(OpenPgpError.BadArmor, "the ASCII armor holds no data");
            }

            return output.ToArray();
        }
        catch (OpenPgpException)
        {
            throw;
        }
        catch (Exception e) when (e is IOException or ArgumentException or FormatException or InvalidOperationException
                                      or IndexOutOfRangeException)
        {
            throw new OpenPgpException(
                OpenPgpError.BadArmor,
                "the ASCII armor is corrupt: " + OneLine(e.Message),
                e);
        }
    }

    public static string OneLine(string message)
    {
        var line = message.ReplaceLineEndings(" ").Trim();
        return line.Length > 200 ? line[..200] : line;
    }
}
