using System.Net;
using Keypost.Mail.Spf;
using Keypost.Mail.Tests.Support;

namespace Keypost.Mail.Tests.Spf;

public sealed class SpfCheckerTests
{
    private static async Task<SpfCheckResult> Check(FakeDns dns, string ip, string? mailFrom = "leia@rebel.test", string helo = "mail.rebel.test") =>
        await new SpfChecker(dns).CheckAsync(IPAddress.Parse(ip), helo, mailFrom, CancellationToken.None);

    private static FakeDns Spf(string record, string domain = "rebel.test") => new FakeDns().Txt(domain, record);

    [Theory]
    [InlineData("v=spf1 ip4:192.0.2.0/24 -all", "192.0.2.77", SpfResult.Pass)]
    [InlineData("v=spf1 ip4:192.0.2.0/24 -all", "198.51.100.1", SpfResult.Fail)]
    [InlineData("v=spf1 ip4:192.0.2.10 -all", "192.0.2.11", SpfResult.Fail)]
    [InlineData("v=spf1 ip6:2001:db8::/32 -all", "2001:db8:1::5", SpfResult.Pass)]
    [InlineData("v=spf1 ip6:2001:db8::/32 -all", "192.0.2.1", SpfResult.Fail)]
    [InlineData("v=spf1 ip4:192.0.2.1 ~all", "203.0.113.9", SpfResult.SoftFail)]
    [InlineData("v=spf1 ip4:192.0.2.1 ?all", "203.0.113.9", SpfResult.Neutral)]
    [InlineData("v=spf1 ip4:192.0.2.1", "203.0.113.9", SpfResult.Neutral)]
    [InlineData("v=spf1 -ip4:192.0.2.1 +all", "192.0.2.1", SpfResult.Fail)]
    [InlineData("v=spf1 +all", "203.0.113.9", SpfResult.Pass)]
    [InlineData("v=spf1 ptr -all", "192.0.2.1", SpfResult.Fail)]
    [InlineData("v=spf1 ip4:192.0.2.0/33 -all", "192.0.2.1", SpfResult.PermError)]
    [InlineData("v=spf1 foo:bar -all", "192.0.2.1", SpfResult.PermError)]
    [InlineData("v=spf1 ip4:300.1.1.1 -all", "192.0.2.1", SpfResult.PermError)]
    [InlineData("v=spf1 unknown-mod=x ip4:192.0.2.1 -all", "192.0.2.1", SpfResult.Pass)]
    [InlineData("v=spf1 redirect=a.test redirect=b.test", "192.0.2.1", SpfResult.PermError)]
    [InlineData("v=spf1 a:%{z}.test -all", "192.0.2.1", SpfResult.PermError)]
    public async Task Address_mechanisms_and_qualifiers(string record, string ip, SpfResult expected)
    {
        Assert.Equal(expected, (await Check(Spf(record), ip)).Result);
    }

    [Fact]
    public async Task Ipv4_mapped_client_matches_ip4()
    {
        Assert.Equal(SpfResult.Pass, (await Check(Spf("v=spf1 ip4:192.0.2.1 -all"), "::ffff:192.0.2.1")).Result);
    }

    [Fact]
    public async Task A_mechanism_with_and_without_domain_and_cidr()
    {
        var dns = Spf("v=spf1 a a:out.rebel.test/24 a:v6.rebel.test//64 -all")
            .A("rebel.test", "192.0.2.1").A("out.rebel.test", "198.51.100.1").A("v6.rebel.test", "2001:db8::1");

        Assert.Equal(SpfResult.Pass, (await Check(dns, "192.0.2.1")).Result);
        Assert.Equal(SpfResult.Pass, (await Check(dns, "198.51.100.200")).Result);
        Assert.Equal(SpfResult.Pass, (await Check(dns, "2001:db8::ffff")).Result);
        Assert.Equal(SpfResult.Fail, (await Check(dns, "203.0.113.1")).Result);
    }

    [Fact]
    public async Task Mx_mechanism_matches_the_exchanges_addresses()
    {
        var dns = Spf("v=spf1 mx -all").Mx("rebel.test", 10, "mail.rebel.test").Mx("rebel.test", 20, "backup.rebel.test")
            .A("mail.rebel.test", "192.0.2.10").A("backup.rebel.test", "192.0.2.20");

        Assert.Equal(SpfResult.Pass, (await Check(dns, "192.0.2.20")).Result);
        Assert.Equal(SpfResult.Fail, (await Check(dns, "192.0.2.30")).Result);
    }

    [Fact]
    public async Task Mx_with_more_than_ten_records_is_permerror()
    {
        var dns = Spf("v=spf1 mx -all");
        for (var i = 0; i < 11; i++)
        {
            dns.Mx("rebel.test", i, $"mx{i}.rebel.test");
        }

        Assert.Equal(SpfResult.PermError, (await Check(dns, "192.0.2.1")).Result);
    }

    [Fact]
    public async Task Exists_matches_when_the_name_has_an_a_record()
    {
        var dns = Spf("v=spf1 exists:%{i}.allow.rebel.test -all").A("192.0.2.5.allow.rebel.test", "127.0.0.2");

        Assert.Equal(SpfResult.Pass, (await Check(dns, "192.0.2.5")).Result);
        Assert.Equal(SpfResult.Fail, (await Check(dns, "192.0.2.6")).Result);
    }

    [Fact]
    public async Task Include_recurses_and_maps_results()
    {
        var dns = Spf("v=spf1 include:_spf.provider.test -all")
            .Txt("_spf.provider.test", "v=spf1 ip4:198.51.100.0/24 ~all");

        Assert.Equal(SpfResult.Pass, (await Check(dns, "198.51.100.9")).Result);

        // The included softfail is "no match", so the outer -all decides.
        Assert.Equal(SpfResult.Fail, (await Check(dns, "203.0.113.9")).Result);
    }

    [Fact]
    public async Task Include_of_a_domain_without_record_is_permerror()
    {
        Assert.Equal(SpfResult.PermError, (await Check(Spf("v=spf1 include:nothing.test -all"), "192.0.2.1")).Result);
    }

    [Fact]
    public async Task Include_errors_propagate()
    {
        var dns = Spf("v=spf1 include:down.test -all");
        dns.Failing.Add("down.test");

        Assert.Equal(SpfResult.TempError, (await Check(dns, "192.0.2.1")).Result);
    }

    [Fact]
    public async Task Redirect_applies_when_nothing_matched()
    {
        var dns = Spf("v=spf1 ip4:192.0.2.1 redirect=_spf.rebel.test")
            .Txt("_spf.rebel.test", "v=spf1 ip4:198.51.100.1 -all");

        Assert.Equal(SpfResult.Pass, (await Check(dns, "192.0.2.1")).Result);
        Assert.Equal(SpfResult.Pass, (await Check(dns, "198.51.100.1")).Result);
        Assert.Equal(SpfResult.Fail, (await Check(dns, "203.0.113.1")).Result);
    }

    [Fact]
    public async Task Redirect_to_a_domain_without_record_is_permerror()
    {
        Assert.Equal(SpfResult.PermError, (await Check(Spf("v=spf1 redirect=nothing.test"), "192.0.2.1")).Result);
    }

    [Fact]
    public async Task More_than_ten_dns_terms_is_permerror()
    {
        // Ten includes of a record that itself does one more DNS term: 20 in all.
        var dns = Spf("v=spf1 " + string.Join(' ', Enumerable.Range(0, 10).Select(i => $"include:i{i}.test")) + " -all");
        for (var i = 0; i < 10; i++)
        {
            dns.Txt($"i{i}.test", "v=spf1 a -all").A($"i{i}.test", "198.51.100.1");
        }

        var result = await Check(dns, "192.0.2.1");

        Assert.Equal(SpfResult.PermError, result.Result);
        Assert.Contains("10", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ten_dns_terms_are_allowed()
    {
        var dns = Spf("v=spf1 " + string.Join(' ', Enumerable.Range(0, 9).Select(i => $"a:h{i}.test")) + " a:ok.test -all").A("ok.test", "192.0.2.1");
        for (var i = 0; i < 9; i++)
        {
            dns.A($"h{i}.test", "198.51.100.1");
        }

        Assert.Equal(SpfResult.Pass, (await Check(dns, "192.0.2.1")).Result);
    }

    [Fact]
    public async Task Third_void_lookup_is_permerror()
    {
        var two = Spf("v=spf1 a:void1.test a:void2.test ip4:192.0.2.1 -all");
        var three = Spf("v=spf1 a:void1.test a:void2.test a:void3.test ip4:192.0.2.1 -all");

        Assert.Equal(SpfResult.Pass, (await Check(two, "192.0.2.1")).Result);
        Assert.Equal(SpfResult.PermError, (await Check(three, "192.0.2.1")).Result);
    }

    [Fact]
    public async Task No_record_is_none_and_two_records_is_permerror()
    {
        Assert.Equal(SpfResult.None, (await Check(new FakeDns().Txt("rebel.test", "google-site-verification=x"), "192.0.2.1")).Result);
        Assert.Equal(SpfResult.None, (await Check(new FakeDns(), "192.0.2.1")).Result);
        Assert.Equal(SpfResult.PermError, (await Check(Spf("v=spf1 -all").Txt("rebel.test", "v=spf1 +all"), "192.0.2.1")).Result);
        Assert.Equal(SpfResult.None, (await Check(Spf("v=spf10 +all"), "192.0.2.1")).Result);
    }

    [Fact]
    public async Task Dns_failure_is_temperror()
    {
        var dns = Spf("v=spf1 a:flaky.test -all");
        dns.Failing.Add("flaky.test");

        Assert.Equal(SpfResult.TempError, (await Check(dns, "192.0.2.1")).Result);
    }

    [Theory]
    [InlineData("exists:%{s}.x.test", "leia@rebel.test.x.test")]
    [InlineData("exists:%{l}.x.test", "leia.x.test")]
    [InlineData("exists:%{o}.x.test", "rebel.test.x.test")]
    [InlineData("exists:%{d}.x.test", "rebel.test.x.test")]
    [InlineData("exists:%{i}.x.test", "192.0.2.3.x.test")]
    [InlineData("exists:%{ir}.x.test", "3.2.0.192.x.test")]
    [InlineData("exists:%{d1}.x.test", "test.x.test")]
    [InlineData("exists:%{d2r}.x.test", "test.rebel.x.test")]
    [InlineData("exists:%{h}.x.test", "mail.rebel.test.x.test")]
    [InlineData("exists:%{v}.x.test", "in-addr.x.test")]
    [InlineData("exists:%{l-}.x.test", "leia.x.test")]
    [InlineData("exists:a%%b%_c%-d.x.test", "a%b c%20d.x.test")]
    // RFC 7208 §7.3: a DIGIT beyond the label count keeps every label, however long the digit run (AFL++ found
    // %{i111111111111111111} overflowing an int in spf-record, issue #20).
    [InlineData("exists:%{i111111111111111111111111}.x.test", "192.0.2.3.x.test")]
    [InlineData("exists:%{d0002r}.x.test", "test.rebel.x.test")]
    public async Task Macros_expand(string mechanism, string expectedName)
    {
        var dns = Spf($"v=spf1 {mechanism} -all").A(expectedName, "127.0.0.2");

        var result = await Check(dns, "192.0.2.3");

        Assert.Equal(SpfResult.Pass, result.Result);
    }

    [Fact]
    public async Task Macro_delimiters_split_the_local_part()
    {
        var dns = Spf("v=spf1 exists:%{l1r-}.x.test -all").A("first.x.test", "127.0.0.2");

        Assert.Equal(SpfResult.Pass, (await new SpfChecker(dns).CheckAsync(IPAddress.Parse("192.0.2.3"), "h.test", "first-last@rebel.test", CancellationToken.None)).Result);
    }

    [Fact]
    public async Task Ipv6_address_macro_is_nibbles()
    {
        var name = "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.x.test";
        var dns = Spf("v=spf1 exists:%{ir}.x.test -all").A(name, "127.0.0.2");

        Assert.Equal(SpfResult.Pass, (await Check(dns, "2001:db8::1")).Result);
    }

    [Fact]
    public async Task Null_reverse_path_checks_the_helo_identity()
    {
        var dns = Spf("v=spf1 ip4:192.0.2.1 -all", "mail.rebel.test");

        var result = await Check(dns, "192.0.2.1", mailFrom: null, helo: "mail.rebel.test");

        Assert.Equal(SpfResult.Pass, result.Result);
        Assert.Equal(SpfIdentity.Helo, result.Identity);
        Assert.Equal("postmaster@mail.rebel.test", result.Sender);
        Assert.Equal("mail.rebel.test", result.Domain);
    }

    [Fact]
    public async Task Helo_that_is_an_address_literal_is_none()
    {
        Assert.Equal(SpfResult.None, (await Check(new FakeDns(), "192.0.2.1", mailFrom: null, helo: "[192.0.2.1]")).Result);
    }

    [Fact]
    public async Task Mail_from_identity_reports_sender_and_domain()
    {
        var result = await Check(Spf("v=spf1 ip4:192.0.2.1 -all"), "192.0.2.1");

        Assert.Equal(SpfIdentity.MailFrom, result.Identity);
        Assert.Equal("leia@rebel.test", result.Sender);
        Assert.Equal("rebel.test", result.Domain);
    }
}
