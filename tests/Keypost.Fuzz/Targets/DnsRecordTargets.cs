using System.Net;
using System.Text;
using Keypost.Fuzz.Support;
using Keypost.Mail.Dkim;
using Keypost.Mail.Dmarc;
using Keypost.Mail.Spf;
using MimeKit;

namespace Keypost.Fuzz.Targets;

/// <summary>
/// The DNS TXT record parsers, each driven with the input as the record DNS returns: SPF (parse and the whole
/// check_host evaluation with macros, includes and redirects, all answered by the same record), DMARC (parse and
/// evaluation), DKIM (key record lookup, and a DKIM-Signature field built from the input's first line).
/// </summary>
internal static class DnsRecordTargets
{
    public static void Spf(byte[] input)
    {
        var record = Encoding.UTF8.GetString(input);
        if (SpfRecordParser.IsSpfRecord(record))
        {
            try
            {
                SpfRecordParser.Parse(record);
            }
            catch (SpfException)
            {
                // A permanent error: what the parser is for.
            }
        }

        var dns = new FixedDns { Txt = _ => [record] };
        new SpfChecker(dns).CheckAsync(IPAddress.Parse("192.0.2.1"), "client.rebel.test", "leia@rebel.test", CancellationToken.None)
            .GetAwaiter().GetResult();
    }

    public static void Dmarc(byte[] input)
    {
        var record = Encoding.UTF8.GetString(input);
        DmarcRecord.IsDmarcRecord(record);
        DmarcRecord.TryParse(record);
        var dns = new FixedDns { Txt = name => name.StartsWith("_dmarc.", StringComparison.Ordinal) ? [record] : [] };
        new DmarcEvaluator(dns, () => 0).EvaluateAsync(
            "mail.rebel.test",
            [],
            new SpfCheckResult(SpfResult.Fail, SpfIdentity.MailFrom, "rebel.test", "leia@rebel.test"),
            CancellationToken.None).GetAwaiter().GetResult();
    }

    public static void Dkim(byte[] input)
    {
        var text = Encoding.UTF8.GetString(input);
        var newline = text.IndexOf('\n', StringComparison.Ordinal);
        var record = newline < 0 ? text : text[..newline];
        var signature = newline < 0 ? "v=1; a=rsa-sha256; d=rebel.test; s=s1; h=from; bh=AAAA; b=AAAA" : text[(newline + 1)..];
        var dns = new FixedDns { Txt = _ => [record] };
        try
        {
            new TxtDkimPublicKeyLocator(dns).LocatePublicKeyAsync("dns/txt", "rebel.test", "s1").GetAwaiter().GetResult();
        }
        catch (DkimKeyLookupException)
        {
            // No usable key: a DKIM permerror, as intended.
        }

        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("Leia", "leia@rebel.test"));
        message.Subject = "plans";
        message.Body = new TextPart("plain") { Text = "The plans are in R2." };
        try
        {
            message.Headers.Insert(0, new Header(HeaderId.DkimSignature, signature.Replace("\r", "", StringComparison.Ordinal).Replace("\n", "", StringComparison.Ordinal)));
        }
        catch (ArgumentException)
        {
            return;
        }

        new DkimMessageVerifier(dns).VerifyAsync(message, CancellationToken.None).GetAwaiter().GetResult();
    }
}
