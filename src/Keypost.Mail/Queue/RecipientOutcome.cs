namespace Keypost.Mail.Queue;

/// <summary>The result of one delivery attempt for one recipient (by envelope index).</summary>
public sealed record RecipientOutcome(int Index, RecipientState State, string? Error = null, DateTimeOffset? NextAttempt = null)
{
    public static RecipientOutcome Delivered(int index) => new(index, RecipientState.Delivered);

    public static RecipientOutcome Failed(int index, string error) => new(index, RecipientState.Failed, error);

    public static RecipientOutcome Deferred(int index, string error, DateTimeOffset nextAttempt) =>
        new(index, RecipientState.Deferred, error, nextAttempt);
}
