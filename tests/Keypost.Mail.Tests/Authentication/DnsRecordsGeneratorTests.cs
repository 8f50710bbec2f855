using Keypost.Mail.Authentication;
using Keypost.Mail.Dkim;
using Keypost.Mail.Dmarc;
using Keypost.Testing;

namespace Keypost.Mail.Tests.Authentication;

public sealed class DnsRecordsGeneratorTests
{
    [Fact]
    public async Task Lists_mx_spf_both_dkim_keys_and_dmarc()
    {
        using var dir = new TempDirectory();
        var store = new DkimKeyStore(dir.Path);

        var records = await new DnsRecordsGenerator(store).GenerateAsync("rebel.test", "mail.rebel.test", CancellationToken.None);

        var keys = await store.GetOrCreateAsync("rebel.test", CancellationToken.None);
        Assert.Contains(records, r => r is { Name: "rebel.test", Type: "MX", Value: "10 mail.rebel.test." });
        Assert.Contains(records, r => r is { Name: "rebel.test", Type: "TXT", Value: "v=spf1 mx -all" });
        Assert.Contains(records, r => r.Name == "kp-ed._domainkey.rebel.test" && r.Value == keys.Ed25519.TxtRecord);
        Assert.Contains(records, r => r.Name == "kp-rsa._domainkey.rebel.test" && r.Value == keys.Rsa.TxtRecord);
        var dmarc = Assert.Single(records, r => r.Name == "_dmarc.rebel.test");
        Assert.Equal(new DmarcRecord(DmarcPolicy.Reject, null, DmarcAlignment.Strict, DmarcAlignment.Strict), DmarcRecord.TryParse(dmarc.Value));
    }

    [Fact]
    public async Task Lists_mta_sts_tls_rpt_and_a_tlsa_record_for_the_mail_certificate()
    {
        using var dir = new TempDirectory();
        using var certificate = Keypost.Testing.Mail.TestCertificate.Create("mail.rebel.test");
        var publication = new Keypost.Mail.MtaSts.MtaStsPublication("enforce", ["mail.rebel.test"], 604800);

        var records = await new DnsRecordsGenerator(new DkimKeyStore(dir.Path)).GenerateAsync("rebel.test", "mail.rebel.test", CancellationToken.None, publication, certificate);

        // RFC 8461 §3.1: the TXT id is the served policy's id, which changes with the policy text.
        Assert.Contains(records, r => r is { Name: "_mta-sts.rebel.test", Type: "TXT" } && r.Value == "v=STSv1; id=" + publication.Id);
        Assert.NotEqual(publication.Id, (publication with { Mode = "testing" }).Id);
        Assert.Contains(records, r => r is { Name: "mta-sts.rebel.test", Type: "CNAME", Value: "mail.rebel.test." });
        Assert.Contains(records, r => r is { Name: "_smtp._tls.rebel.test", Type: "TXT", Value: "v=TLSRPTv1; rua=mailto:tlsrpt@rebel.test" });
        var tlsa = Assert.Single(records, r => r.Type == "TLSA");
        Assert.Equal("_25._tcp.mail.rebel.test", tlsa.Name);
        var fields = tlsa.Value.Split(' ');
        var association = new Keypost.Mail.Dane.TlsaAssociation(byte.Parse(fields[0]), byte.Parse(fields[1]), byte.Parse(fields[2]), Convert.FromHexString(fields[3]));
        Assert.Equal((3, 1, 1), (association.Usage, association.Selector, association.MatchingType));
        Assert.True(association.Matches(certificate));
        Assert.False(association.Matches(Keypost.Testing.Mail.TestCertificate.Create("mail.rebel.test")));
    }

    [Fact]
    public void Long_txt_values_are_split_into_255_octet_strings()
    {
        var value = new string('a', 300);

        var line = new PublishedDnsRecord("kp-rsa._domainkey.rebel.test", "TXT", value, "").ToZoneFileLine();

        Assert.Equal($"kp-rsa._domainkey.rebel.test. IN TXT \"{new string('a', 255)}\" \"{new string('a', 45)}\"", line);
    }
}
