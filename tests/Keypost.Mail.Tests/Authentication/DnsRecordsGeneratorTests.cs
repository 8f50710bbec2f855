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
    public void Long_txt_values_are_split_into_255_octet_strings()
    {
        var value = new string('a', 300);

        var line = new PublishedDnsRecord("kp-rsa._domainkey.rebel.test", "TXT", value, "").ToZoneFileLine();

        Assert.Equal($"kp-rsa._domainkey.rebel.test. IN TXT \"{new string('a', 255)}\" \"{new string('a', 45)}\"", line);
    }
}
