using Org.BouncyCastle.Bcpg;
using Org.BouncyCastle.Bcpg.OpenPgp;
using Org.BouncyCastle.Crypto;

namespace Keypost.Core.OpenPgp;

/// <summary>
/// What BouncyCastle throws when the bytes it reads are not OpenPGP it can parse. It has no common base type:
/// a packet with an unknown version (RFC 9580 §5.1, §5.3, §5.5.2) is an UnsupportedPacketVersionException, which
/// derives from neither IOException nor PgpException, and escaped the catch clauses until AFL++ found it.
/// </summary>
internal static class MalformedPackets
{
    public static bool Is(Exception e) =>
        e is IOException or PgpException or CryptoException or InvalidOperationException or UnsupportedPacketVersionException;
}
