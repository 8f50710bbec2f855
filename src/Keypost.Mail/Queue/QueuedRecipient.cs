using Keypost.Core.Addresses;

namespace Keypost.Mail.Queue;

/// <summary>One recipient of a queued message; <see cref="Index"/> is its position in the envelope.</summary>
public sealed record QueuedRecipient(
    int Index,
    EmailAddress Address,
    RecipientState State,
    int Attempts,
    DateTimeOffset NextAttempt,
    string? LastError)
{
    public bool IsFinal => State is RecipientState.Delivered or RecipientState.Failed;
}
