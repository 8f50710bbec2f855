using Keypost.Core.Abuse;
using Microsoft.Extensions.Logging;
using Keypost.Store;

namespace Keypost.Imap;

/// <summary>What every session of one listener shares.</summary>
internal sealed record ImapSessionContext(ImapListenerOptions Options, IMailAccounts Accounts, IMailStore Store, AccountSessionLimiter Sessions, LoginThrottle LoginThrottle, ILogger Logger);
