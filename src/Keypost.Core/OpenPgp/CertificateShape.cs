namespace Keypost.Core.OpenPgp;

/// <summary>Checks the packet sequence of a transferable key (RFC 4880 §11.1, §11.2) before parsing it.</summary>
internal static class CertificateShape
{
    private static readonly int[] CertificatePackets =
    [
        PacketScanner.PublicKey, PacketScanner.PublicSubkey, PacketScanner.UserId, PacketScanner.UserAttribute,
        PacketScanner.Signature, PacketScanner.Trust, PacketScanner.Marker,
    ];

    public static void CheckPublic(List<int> tags)
    {
        var first = FirstKeyPacket(tags);
        if (first is PacketScanner.SecretKey || tags.Contains(PacketScanner.SecretSubkey))
        {
            throw new OpenPgpException(
                OpenPgpError.SecretKeyMaterial,
                "this is a secret key: export and submit the public certificate only (gpg --export, not --export-secret-keys)");
        }

        CheckCommon(tags, first, PacketScanner.PublicKey, "certificate");
    }

    public static void CheckSecret(List<int> tags)
    {
        var first = FirstKeyPacket(tags);
        if (first == PacketScanner.PublicKey)
        {
            throw new OpenPgpException(OpenPgpError.NotACertificate, "this is a public certificate, not a secret key");
        }

        CheckCommon(tags, first, PacketScanner.SecretKey, "secret key");
    }

    private static int? FirstKeyPacket(List<int> tags) =>
        tags.Cast<int?>().FirstOrDefault(t => t != PacketScanner.Marker);

    private static void CheckCommon(List<int> tags, int? first, int primaryTag, string what)
    {
        if (first is null)
        {
            throw new OpenPgpException(OpenPgpError.NotOpenPgp, "the input holds no OpenPGP key");
        }

        if (first != primaryTag)
        {
            throw new OpenPgpException(
                OpenPgpError.NotACertificate,
                $"the input is OpenPGP data of another kind (it starts with a {PacketName(first.Value)} packet), not a {what}");
        }

        var primaries = tags.Count(t => t == primaryTag);
        if (primaries > 1)
        {
            throw new OpenPgpException(
                OpenPgpError.MultipleKeys,
                $"the input holds {primaries} keys; submit exactly one");
        }

        foreach (var tag in tags)
        {
            var allowed = CertificatePackets.Contains(tag) || tag is PacketScanner.SecretKey or PacketScanner.SecretSubkey;
            if (!allowed)
            {
                throw new OpenPgpException(
                    OpenPgpError.NotACertificate,
                    $"a {PacketName(tag)} packet does not belong in a {what}");
            }
        }
    }

    // RFC 4880 §4.3.
    private static string PacketName(int tag) => tag switch
    {
        1 => "public-key encrypted session key",
        2 => "signature",
        3 => "symmetric-key encrypted session key",
        4 => "one-pass signature",
        5 => "secret key",
        6 => "public key",
        7 => "secret subkey",
        8 => "compressed data",
        9 => "symmetrically encrypted data",
        10 => "marker",
        11 => "literal data",
        12 => "trust",
        13 => "user ID",
        14 => "public subkey",
        17 => "user attribute",
        18 => "encrypted and integrity protected data",
        19 => "modification detection code",
        20 => "AEAD encrypted data",
        _ => "type " + tag,
    };
}
