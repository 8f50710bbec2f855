using System.Globalization;
using System.Security.Cryptography;

namespace Keypost.Store.Maildir;

/// <summary>
/// The one generator of unique Maildir base names, "time.unique.host" as cr.yp.to/proto/maildir.html describes:
/// seconds, then microseconds, pid and random bits so two deliveries in the same microsecond, or by two processes,
/// never collide; '/' and ':' in the host name written as \057 and \072.
/// </summary>
internal static class MaildirNames
{
    public static string Unique()
    {
        var now = DateTimeOffset.UtcNow;
        var micros = (now.Ticks / 10) % 1_000_000;
        var random = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        var host = Environment.MachineName.Replace("/", @"\057", StringComparison.Ordinal).Replace(":", @"\072", StringComparison.Ordinal);
        return string.Create(CultureInfo.InvariantCulture, $"{now.ToUnixTimeSeconds()}.M{micros}P{Environment.ProcessId}R{random}.{host}");
    }
}
