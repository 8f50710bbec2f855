namespace Keypost.Mail.Queue;

/// <summary>Where one recipient of a queued message stands. Stored as its number: do not renumber.</summary>
public enum RecipientState
{
    /// <summary>Not yet tried.</summary>
    Pending = 0,

    /// <summary>Delivered locally or accepted by the next hop (final).</summary>
    Delivered = 1,

    /// <summary>A temporary failure: tried again at the next attempt time (RFC 5321 §4.5.4.1).</summary>
    Deferred = 2,

    /// <summary>A permanent failure or the retry window ran out (final; a DSN was sent when possible).</summary>
    Failed = 3,
}
