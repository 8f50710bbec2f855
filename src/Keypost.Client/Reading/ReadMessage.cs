using Keypost.Core.PgpMime;

namespace Keypost.Client.Reading;

/// <summary>One message as the user is shown it: its state, and, unless refused, what was read.</summary>
/// <param name="Location">Folder, UIDVALIDITY and UID.</param>
/// <param name="State">The message's own state.</param>
/// <param name="Refusal">Why it was refused, when <see cref="ReadState.Refused"/>.</param>
/// <param name="Explanation">One line for the user: what was verified, or why it was refused (escaped).</param>
/// <param name="DisplayFrom">The From shown (protected when present), escaped.</param>
/// <param name="DisplaySubject">The Subject shown (protected when present), escaped.</param>
/// <param name="Date">The Date shown, if any.</param>
/// <param name="Size">The message's size on the server, in bytes; -1 when not fetched with it (reading one message).</param>
/// <param name="Result">What the reader found; null when refused or listed from its structure only.</param>
/// <param name="Text">The first text part, unescaped (the caller escapes each line to show it).</param>
public sealed record ReadMessage(
    MessageLocation Location,
    ReadState State,
    RefusalReason? Refusal,
    string Explanation,
    string DisplayFrom,
    string DisplaySubject,
    DateTimeOffset? Date,
    long Size,
    PgpMimeReadResult? Result,
    string Text)
{
    public uint Uid => Location.Uid;

    /// <summary>An RFC 3156 root was decrypted (from <see cref="Result"/>, or from the read cache).</summary>
    public bool Encrypted { get; init; } = Result?.Encryption.IsEncrypted ?? false;

    /// <summary>Subject and From come from inside the encryption.</summary>
    public bool HeadersProtected { get; init; } = Result?.HeadersProtected ?? false;

    /// <summary>The signature verdict, when the message was read (now or, per the read cache, before).</summary>
    public PgpMimeSignature? Signature { get; init; } = Result?.Signature;

    /// <summary>The verdict on the sender's key proof inside the message; null when it carries none.</summary>
    public KeyProofResult? KeyProof { get; init; }

    public bool IsRefused => State == ReadState.Refused;
}
