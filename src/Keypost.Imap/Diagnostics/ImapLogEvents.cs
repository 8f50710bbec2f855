using Microsoft.Extensions.Logging;

namespace Keypost.Imap.Diagnostics;

/// <summary>The event ids of IMAP's log lines (3xxx, the numbers they had in Keypost.Mail), stable for log shippers.</summary>
public static class ImapLogEvents
{
    public static readonly EventId ImapLogin = new(3001, "ImapLogin");
    public static readonly EventId ImapSessionError = new(3002, "ImapSessionError");
    public static readonly EventId ImapStopping = new(3010, "ImapStopping");
}
