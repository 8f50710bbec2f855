using MimeKit;

namespace Keypost.Testing.PgpMime;

/// <summary>One message of <see cref="HostileMailbox"/> and what a reader must make of it.</summary>
/// <param name="Kind">A short name of what the message is (e.g. "bit-flip").</param>
/// <param name="Message">The message as it arrives.</param>
/// <param name="ExpectedState">The reader's state for it, by name (Keypost.Client.Reading.ReadState).</param>
/// <param name="ExpectedRefusal">The refusal reason by name, when refused (Keypost.Client.Reading.RefusalReason).</param>
/// <param name="MustNotShow">Text that must never reach the user for this message (null: nothing in particular).</param>
public sealed record MailboxCase(string Kind, MimeMessage Message, string ExpectedState, string? ExpectedRefusal = null, string? MustNotShow = null)
{
    public bool IsHostile => !Kind.StartsWith("valid-", StringComparison.Ordinal);
}
