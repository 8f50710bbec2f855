namespace Keypost.Client.Reading;

/// <summary>Why a message was refused; nothing of its content is shown.</summary>
public enum RefusalReason
{
    /// <summary>The ciphertext was changed or lacks integrity protection (MDC stripped, bit flips, cut short).</summary>
    Altered,

    /// <summary>None of the user's keys can decrypt it.</summary>
    NoKey,

    /// <summary>Larger than the reader's cap (a compression bomb, or simply too big).</summary>
    TooLarge,

    /// <summary>Not a readable OpenPGP or MIME message.</summary>
    Malformed,
}
