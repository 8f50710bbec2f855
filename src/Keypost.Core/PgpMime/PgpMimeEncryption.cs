namespace Keypost.Core.PgpMime;

/// <summary>The encryption state of a received message.</summary>
/// <param name="IsEncrypted">True only when an RFC 3156 root was decrypted and its MDC checked.</param>
/// <param name="IsIntegrityProtected">The MDC was present and matched (always true when decrypted).</param>
/// <param name="DecryptedWithKeyId">The reader's subkey that opened the session key, 16 hex digits.</param>
/// <param name="RecipientKeyIds">Every key ID the message is encrypted to, 16 hex digits each.</param>
/// <param name="Cipher">The symmetric algorithm (e.g. Aes256).</param>
/// <param name="WasCompressed">The sender added a compression layer.</param>
public sealed record PgpMimeEncryption(
    bool IsEncrypted,
    bool IsIntegrityProtected = false,
    string? DecryptedWithKeyId = null,
    IReadOnlyList<string>? RecipientKeyIds = null,
    string? Cipher = null,
    bool WasCompressed = false)
{
    public static PgpMimeEncryption None { get; } = new(false);
}
