using Keypost.Core.PgpMime;

namespace Keypost.Core.OpenPgp.Streaming;

/// <summary>What <see cref="StreamingOpenPgp.DecryptAsync"/> found, once the MDC matched and the data was written.</summary>
/// <param name="DecryptedWithKeyId">The reader's key that opened the session key, 16 hex digits.</param>
/// <param name="RecipientKeyIds">Every key the message is encrypted to.</param>
/// <param name="Cipher">The symmetric algorithm (RFC 4880 §9.2 name).</param>
/// <param name="PlaintextBytes">Bytes written to the output.</param>
/// <param name="WasCompressed">Whether the sender compressed the data.</param>
/// <param name="Signature">
/// The one-pass signature's verdict. Raw data names no sender: <see cref="PgpMimeSignatureStatus.Valid"/> means
/// it verifies with a bound, unrevoked key of the certificate the finder returned; check its fingerprint.
/// </param>
public sealed record StreamDecryption(
    string DecryptedWithKeyId,
    IReadOnlyList<string> RecipientKeyIds,
    string Cipher,
    long PlaintextBytes,
    bool WasCompressed,
    PgpMimeSignature Signature);
