using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Keypost.Mail.MtaSts;

/// <summary>
/// Our own MTA-STS policy (RFC 8461 §3.2), served at <c>https://mta-sts.&lt;domain&gt;/.well-known/mta-sts.txt</c>,
/// and the <c>_mta-sts</c> TXT record announcing it. The id is derived from the policy text, so it changes exactly
/// when the policy does (§3.1: senders refetch only when the id changes).
/// </summary>
public sealed record MtaStsPublication(string Mode, IReadOnlyList<string> MxHosts, int MaxAgeSeconds)
{
    public const string WellKnownPath = "/.well-known/mta-sts.txt";

    public string PolicyText
    {
        get
        {
            var text = new StringBuilder();
            // RFC 8461 §3.2: CRLF-separated "key: value" lines.
            text.Append("version: STSv1\r\n").Append("mode: ").Append(Mode).Append("\r\n");
            foreach (var mx in MxHosts)
            {
                text.Append("mx: ").Append(mx.TrimEnd('.')).Append("\r\n");
            }

            text.Append(CultureInfo.InvariantCulture, $"max_age: {MaxAgeSeconds}\r\n");
            return text.ToString();
        }
    }

    /// <summary>RFC 8461 §3.1: id = 1*32(ALPHA / DIGIT); 20 hex digits of the policy's SHA-256.</summary>
    public string Id => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(PolicyText)))[..20];

    public string TxtRecord => $"v=STSv1; id={Id}";
}
