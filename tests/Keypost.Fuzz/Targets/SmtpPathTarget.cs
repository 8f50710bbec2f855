using System.Text;
using Keypost.Core.Addresses;
using Keypost.Mail.Smtp;

namespace Keypost.Fuzz.Targets;

/// <summary>The MAIL FROM / RCPT TO argument parser (RFC 5321 §4.1.2) and the address parser under it.</summary>
internal static class SmtpPathTarget
{
    public static void Run(byte[] input)
    {
        var text = Encoding.UTF8.GetString(input);
        var from = SmtpPathParser.Parse(text, "FROM", allowNull: true);
        var to = SmtpPathParser.Parse(text, "TO", allowNull: false);
        foreach (var path in new[] { from, to })
        {
            if (path.Address is { } address)
            {
                // What a parsed address promises: it prints and parses back to itself.
                if (!EmailAddress.TryParse(address.ToString(), out var again, out _) || again!.Canonical != address.Canonical)
                {
                    throw new FuzzFindingException("a parsed address does not round-trip: " + address);
                }
            }
        }

        EmailAddress.TryParse(text, out _, out _);
    }
}
