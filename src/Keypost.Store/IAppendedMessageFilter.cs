using Keypost.Core.Addresses;

namespace Keypost.Store;

/// <summary>
/// What a user stores with IMAP APPEND passes through here before the store sees it (e.g. encryption at rest of
/// a legacy client's Sent copy, docs/encryption-at-rest.md). Implemented by the host; IMAP only calls it.
/// </summary>
public interface IAppendedMessageFilter
{
    /// <summary>The message as it is to be stored: <paramref name="message"/> itself when left alone.</summary>
    Task<Stream> PrepareAsync(EmailAddress account, Stream message, CancellationToken cancellationToken);
}
