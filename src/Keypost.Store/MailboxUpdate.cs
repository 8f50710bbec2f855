namespace Keypost.Store;

/// <summary>
/// A mailbox's state at <paramref name="Version"/>, and the changes made after the version a session last saw, in the
/// order they were made. <paramref name="Changes"/> is null when the store no longer holds that far back: the session
/// then compares its view with <paramref name="State"/> instead.
/// </summary>
public sealed record MailboxUpdate(long Version, MailboxState State, IReadOnlyList<MailboxChange>? Changes);
