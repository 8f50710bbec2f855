using Keypost.Mail.Dkim;
using Keypost.Mail.Dmarc;
using Keypost.Mail.Spf;
using Keypost.Mail.Tests.Support;
using Keypost.Mail.Tests.Dkim;
using MimeKit;

namespace Keypost.Mail.Tests.Dmarc;

public sealed class DmarcEvaluatorTests
{
    private static readonly SpfCheckResult SpfNone = new(SpfResult.None, SpfIdentity.MailFrom, "other.test", "x@other.test");

    private static DkimSignatureResult Dkim(string domain, DkimResult result = DkimResult.Pass) => new(result, domain, "s", "ed25519-sha256", "abcdefgh");

    private static SpfCheckResult Spf(string domain, SpfResult result = SpfResult.Pass) => new(result, SpfIdentity.MailFrom, domain, "leia@" + domain);

    private static Task<DmarcCheckResult> Evaluate(FakeDns dns, string from, IReadOnlyList<DkimSignatureResult> dkim, SpfCheckResult spf, int sample = 0) =>
        new DmarcEvaluator(dns, () => sample).EvaluateAsync(from, dkim, spf, CancellationToken.None);

    private static FakeDns Policy(string record, string domain = "rebel.test") => new FakeDns().Txt("_dmarc." + domain, record);

    [Fact]
    public async Task Aligned_dkim_passes()
    {
        var result = await Evaluate(Policy("v=DMARC1; p=reject"), "rebel.test", [Dkim("rebel.test")], SpfNone);

        Assert.Equal(DmarcResult.Pass, result.Result);
        Assert.Equal(DmarcPolicy.None, result.AppliedPolicy);
    }

    [Fact]
    public async Task Aligned_spf_passes()
    {
        Assert.Equal(DmarcResult.Pass, (await Evaluate(Policy("v=DMARC1; p=reject"), "rebel.test", [], Spf("rebel.test"))).Result);
    }

    [Fact]
    public async Task Unaligned_passes_fail_with_the_policy()
    {
        var result = await Evaluate(Policy("v=DMARC1; p=reject"), "rebel.test", [Dkim("empire.test")], Spf("empire.test"));

        Assert.Equal(DmarcResult.Fail, result.Result);
        Assert.Equal(DmarcPolicy.Reject, result.AppliedPolicy);
    }

    [Fact]
    public async Task Failed_dkim_from_the_right_domain_does_not_count()
    {
        var result = await Evaluate(Policy("v=DMARC1; p=quarantine"), "rebel.test", [Dkim("rebel.test", DkimResult.Fail)], Spf("rebel.test", SpfResult.SoftFail));

        Assert.Equal(DmarcResult.Fail, result.Result);
        Assert.Equal(DmarcPolicy.Quarantine, result.AppliedPolicy);
    }

    [Fact]
    public async Task Relaxed_alignment_accepts_a_subdomain_and_strict_does_not()
    {
        var relaxed = await Evaluate(Policy("v=DMARC1; p=reject"), "rebel.test", [Dkim("mail.rebel.test")], Spf("bounces.rebel.test"));
        var strict = await Evaluate(Policy("v=DMARC1; p=reject; adkim=s; aspf=s"), "rebel.test", [Dkim("mail.rebel.test")], Spf("bounces.rebel.test"));
        var strictSpfOnly = await Evaluate(Policy("v=DMARC1; p=reject; adkim=s"), "rebel.test", [Dkim("mail.rebel.test")], Spf("bounces.rebel.test"));

        Assert.Equal(DmarcResult.Pass, relaxed.Result);
        Assert.Equal(DmarcResult.Fail, strict.Result);
        Assert.Equal(DmarcResult.Pass, strictSpfOnly.Result);
    }

    [Fact]
    public async Task Subdomain_without_record_uses_the_organizational_record_and_sp()
    {
        var dns = Policy("v=DMARC1; p=none; sp=reject");

        var result = await Evaluate(dns, "news.rebel.test", [Dkim("empire.test")], SpfNone);

        Assert.Equal(DmarcResult.Fail, result.Result);
        Assert.Equal(DmarcPolicy.Reject, result.AppliedPolicy);
        Assert.Contains("TXT _dmarc.news.rebel.test", dns.Queries);
        Assert.Contains("TXT _dmarc.rebel.test", dns.Queries);
    }

    [Fact]
    public async Task Subdomain_with_its_own_record_uses_p_not_sp()
    {
        var dns = Policy("v=DMARC1; p=none; sp=reject").Txt("_dmarc.news.rebel.test", "v=DMARC1; p=quarantine");

        var result = await Evaluate(dns, "news.rebel.test", [], SpfNone);

        Assert.Equal(DmarcPolicy.Quarantine, result.AppliedPolicy);
    }

    [Fact]
    public async Task Relaxed_alignment_of_subdomain_from_with_parent_signature()
    {
        var result = await Evaluate(Policy("v=DMARC1; p=reject"), "news.rebel.test", [Dkim("rebel.test")], SpfNone);

        Assert.Equal(DmarcResult.Pass, result.Result);
    }

    [Fact]
    public async Task No_record_is_none_and_dns_failure_is_temperror()
    {
        var none = await Evaluate(new FakeDns().Txt("_dmarc.rebel.test", "v=spf1 -all"), "rebel.test", [], SpfNone);
        var dns = new FakeDns();
        dns.Failing.Add("_dmarc.rebel.test");
        var temp = await Evaluate(dns, "rebel.test", [], SpfNone);

        Assert.Equal(DmarcResult.None, none.Result);
        Assert.Equal(DmarcPolicy.None, none.AppliedPolicy);
        Assert.Equal(DmarcResult.TempError, temp.Result);
        Assert.Equal(DmarcPolicy.None, temp.AppliedPolicy);
    }

    [Fact]
    public async Task Two_records_mean_no_policy()
    {
        var dns = Policy("v=DMARC1; p=reject").Txt("_dmarc.rebel.test", "v=DMARC1; p=none");

        Assert.Equal(DmarcResult.None, (await Evaluate(dns, "rebel.test", [], SpfNone)).Result);
    }

    [Theory]
    [InlineData(49, DmarcPolicy.Reject)]
    [InlineData(50, DmarcPolicy.Quarantine)]
    public async Task Pct_samples_the_policy(int sample, DmarcPolicy expected)
    {
        var result = await Evaluate(Policy("v=DMARC1; p=reject; pct=50"), "rebel.test", [], SpfNone, sample);

        Assert.Equal(expected, result.AppliedPolicy);
    }

    [Theory]
    [InlineData("v=DMARC1; p=reject; sp=quarantine; adkim=s; aspf=r; pct=20", DmarcPolicy.Reject, DmarcPolicy.Quarantine, DmarcAlignment.Strict, DmarcAlignment.Relaxed, 20)]
    [InlineData("v=DMARC1;p=none", DmarcPolicy.None, null, DmarcAlignment.Relaxed, DmarcAlignment.Relaxed, 100)]
    [InlineData("v=DMARC1; p=bogus; rua=mailto:d@rebel.test", DmarcPolicy.None, null, DmarcAlignment.Relaxed, DmarcAlignment.Relaxed, 100)]
    public void Records_parse(string text, DmarcPolicy p, DmarcPolicy? sp, DmarcAlignment adkim, DmarcAlignment aspf, int pct)
    {
        Assert.Equal(new DmarcRecord(p, sp, adkim, aspf, pct), DmarcRecord.TryParse(text));
    }

    [Theory]
    [InlineData("v=DMARC1; p=bogus")]
    [InlineData("v=DMARC1")]
    [InlineData("p=reject; v=DMARC1")]
    [InlineData("v=DMARC2; p=reject")]
    public void Invalid_records_are_rejected(string text)
    {
        Assert.Null(DmarcRecord.TryParse(text));
    }

    [Theory]
    [InlineData("mail.rebel.test", "rebel.test")]
    [InlineData("rebel.test", "rebel.test")]
    [InlineData("a.b.c.jedi.test.", "jedi.test")]
    [InlineData("test", "test")]
    [InlineData("mail.example.co.uk", "example.co.uk")]
    [InlineData("co.uk", "co.uk")]
    [InlineData("leia.github.io", "leia.github.io")]
    public void Organizational_domain_comes_from_the_public_suffix_list(string domain, string expected)
    {
        Assert.Equal(expected, OrganizationalDomain.Of(domain));
    }

    [Theory]
    [InlineData("From: a@rebel.test\r\nFrom: b@empire.test\r\n")]
    [InlineData("To: a@rebel.test\r\n")]
    [InlineData("From: a@rebel.test, b@empire.test\r\n")]
    public async Task Messages_without_exactly_one_author_are_permerror_and_rejected(string headers)
    {
        var message = await MimeMessage.LoadAsync(TestMessages.Stream(headers + "Subject: x\r\n\r\nbody\r\n"));

        var result = await new DmarcEvaluator(Policy("v=DMARC1; p=none")).EvaluateAsync(message, [], SpfNone, CancellationToken.None);

        Assert.Equal(DmarcResult.PermError, result.Result);
        Assert.Equal(DmarcPolicy.Reject, result.AppliedPolicy);
    }

    [Fact]
    public async Task Author_domain_comes_from_the_from_header()
    {
        var message = await MimeMessage.LoadAsync(TestMessages.Stream(TestMessages.Plain));

        var result = await new DmarcEvaluator(Policy("v=DMARC1; p=reject")).EvaluateAsync(message, [Dkim("rebel.test")], SpfNone, CancellationToken.None);

        Assert.Equal("rebel.test", result.FromDomain);
        Assert.Equal(DmarcResult.Pass, result.Result);
    }
}
