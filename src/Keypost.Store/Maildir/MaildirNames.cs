using System.Globalization;
using System.Security.Cryptography;

namespace Keypost.Store.Maildir;

/// <summary>Unique Maildir base names, "time.unique.host" as cr.yp.to/proto/maildir.html describes.</summary>
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
