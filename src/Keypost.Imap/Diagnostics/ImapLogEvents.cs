using Microsoft.Extensions.Logging;

namespace Keypost.Imap.Diagnostics;

/// <summary>
/// In charge of the IMAP server's log events and metrics. The event ids of IMAP's log lines (3xxx, the numbers they had in Keypost.Mail), stable for log shippers.
/// </summary>
public static class ImapLogEvents
{
    public static readonly EventId ImapLogin = new(3001, "ImapLogin");
    public static readonly EventId ImapSessionError = new(3002, "ImapSessionError");
    public static readonly EventId ImapLoginLimits = new(3020, "ImapLoginLimits");
    public static readonly EventId ImapAuthFailed = new(3021, "ImapAuthFailed");
    public static readonly EventId ImapAddressBlocked = new(3022, "ImapAddressBlocked");
    public static readonly EventId ImapTooManyConnections = new(3023, "ImapTooManyConnections");
    public static readonly EventId ImapConnectionRate = new(3024, "ImapConnectionRate");
    public static readonly EventId ImapStopping = new(3010, "ImapStopping");
}
