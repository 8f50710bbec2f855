using Org.BouncyCastle.Bcpg.OpenPgp;

namespace Keypost.Core.PgpMime;

/// <summary>The inside of an integrity-checked OpenPGP message: the literal data and its signature, if any.</summary>
internal sealed record DecryptedPayload(
    byte[] Plaintext,
    ulong DecryptedWithKeyId,
    string Cipher,
    IReadOnlyList<ulong> RecipientKeyIds,
    bool WasCompressed,
    PgpOnePassSignature? OnePass,
    PgpSignature? Signature);
