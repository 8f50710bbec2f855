using Org.BouncyCastle.Bcpg;

namespace Keypost.Core.OpenPgp.Streaming;

/// <summary>An encrypted message opened up to its SEIPD v1 body, with the session key recovered.</summary>
internal sealed record EncryptedMessage(
    BcpgInputStream Body,
    SymmetricKeyAlgorithmTag Algorithm,
    byte[] SessionKey,
    ulong DecryptedWithKeyId,
    IReadOnlyList<ulong> RecipientKeyIds);
