using Org.BouncyCastle.Bcpg;
using Org.BouncyCastle.Bcpg.OpenPgp;

namespace Keypost.Core.OpenPgp.Streaming;

/// <summary>Binary or ASCII-armored input, told apart by its first octet, without needing to seek back.</summary>
internal static class OpenPgpDecoding
{
    public static Stream Decoder(Stream input)
    {
        if (input.CanSeek)
        {
            return PgpUtilities.GetDecoderStream(input);
        }

        var first = input.ReadByte();
        if (first < 0)
        {
            throw new OpenPgpException(OpenPgpError.NotOpenPgp, "the data is empty");
        }

        var whole = new PrefixedStream((byte)first, input);
        // RFC 4880 §4.2: a packet header always has bit 7 set; armor (§6.2) starts with ASCII text.
        return (first & 0x80) != 0 ? whole : new ArmoredInputStream(whole);
    }

    private sealed class PrefixedStream(byte first, Stream rest) : ReadOnlyStream
    {
        private bool firstRead;

        public override int Read(Span<byte> buffer)
        {
            if (buffer.IsEmpty)
            {
                return 0;
            }

            if (!firstRead)
            {
                firstRead = true;
                buffer[0] = first;
                return 1;
            }

            return rest.Read(buffer);
        }
    }
}
