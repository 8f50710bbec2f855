using Keypost.Core.OpenPgp;
using Org.BouncyCastle.Bcpg.OpenPgp;

namespace Keypost.Core.PgpMime;

/// <summary>
/// RFC 4880 §11.3 message grammar inside verified decrypted data: optionally one compression layer, then a
/// one-pass signed, prefix-signed or unsigned literal data packet.
/// </summary>
internal static class InnerPackets
{
    public static DecryptedPayload Read(byte[] raw, long maxPlaintextBytes)
    {
        var factory = new PgpObjectFactory(new MemoryStream(raw));
        var next = SkipMarkers(factory);
        var compressed = false;
        if (next is PgpCompressedData compressedData)
        {
            compressed = true;
            factory = new PgpObjectFactory(compressedData.GetDataStream());
            next = SkipMarkers(factory);
        }

        PgpOnePassSignature? onePass = null;
        PgpSignature? signature = null;
        if (next is PgpOnePassSignatureList onePassList)
        {
            onePass = onePassList[0];
            next = factory.NextPgpObject();
        }
        else if (next is PgpSignatureList prefixList)
        {
            signature = prefixList[0];
            next = factory.NextPgpObject();
        }

        if (next is not PgpLiteralData literal)
        {
            throw new OpenPgpException(OpenPgpError.Malformed, "the decrypted message holds no literal data");
        }

        // The cap bounds decompressed output: reading stops at the limit, so a bomb is never inflated whole.
        var plaintext = CappedRead.ReadAll(literal.GetInputStream(), maxPlaintextBytes, "decrypted message");
        if (onePass is not null)
        {
            var signatures = factory.NextPgpObject() as PgpSignatureList;
            signature = signatures is null
                ? null
                : Enumerable.Range(0, signatures.Count).Select(i => signatures[i]).FirstOrDefault(s => s.KeyId == onePass.KeyId);
            if (signature is null)
            {
                // A one-pass header without its signature packet: treated as unsigned, never as valid.
                onePass = null;
            }
        }

        return new DecryptedPayload(plaintext, 0, "", [], compressed, onePass, signature);
    }

    private static object? SkipMarkers(PgpObjectFactory factory)
    {
        var next = factory.NextPgpObject();
        while (next is PgpMarker)
        {
            next = factory.NextPgpObject();
        }

        return next;
    }
}
