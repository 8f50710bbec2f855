using System.Text;
using Keypost.Mail.Dkim;
using MimeKit;

namespace Keypost.Mail.Tests.Dkim;

public sealed class DkimSignVerifyTests(DkimFixture fixture) : IClassFixture<DkimFixture>
{
    private static readonly CancellationToken Ct = CancellationToken.None;

    private async Task<string> SignAsync(string message = TestMessages.Plain) =>
        Encoding.UTF8.GetString(await fixture.Signer.SignAsync(TestMessages.Stream(message), "rebel.test", Ct));

    private async Task<IReadOnlyList<DkimSignatureResult>> VerifyAsync(string signed, Support.FakeDns? dns = null)
    {
        var message = await MimeMessage.LoadAsync(TestMessages.Stream(signed), Ct);
        return await new DkimMessageVerifier(dns ?? fixture.Dns()).VerifyAsync(message, Ct);
    }

    [Fact]
    public async Task Signed_message_verifies_with_both_algorithms()
    {
        var results = await VerifyAsync(await SignAsync());

        Assert.Equal(2, results.Count);
        Assert.All(results, r => Assert.Equal(DkimResult.Pass, r.Result));
        Assert.All(results, r => Assert.Equal("rebel.test", r.Domain));
        Assert.Equal(["ed25519-sha256", "rsa-sha256"], results.Select(r => r.Algorithm));
        Assert.Equal(["kp-ed", "kp-rsa"], results.Select(r => r.Selector));
        Assert.All(results, r => Assert.Equal(8, r.SignaturePrefix!.Length));
    }

    [Fact]
    public async Task Signature_is_relaxed_over_signs_from_and_has_no_length_tag()
    {
        var message = await MimeMessage.LoadAsync(TestMessages.Stream(await SignAsync()), Ct);
        var signatures = message.Headers.Where(h => h.Id == HeaderId.DkimSignature).Select(h => string.Concat(h.Value.Where(c => !char.IsWhiteSpace(c)))).ToList();

        Assert.Equal(2, signatures.Count);
        foreach (var signature in signatures)
        {
            Assert.Contains("c=relaxed/relaxed", signature, StringComparison.Ordinal);
            Assert.Contains("h=from:from:to:cc:subject:date:message-id:mime-version:content-type:reply-to:in-reply-to:references", signature, StringComparison.Ordinal);
            Assert.DoesNotContain(signature.Split(';'), t => t.StartsWith("l=", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Changed_body_fails_both_signatures()
    {
        var signed = await SignAsync();
        var tampered = signed.Replace("only hope", "last hope", StringComparison.Ordinal);
        Assert.NotEqual(signed, tampered);

        var results = await VerifyAsync(tampered);

        Assert.Equal(2, results.Count);
        Assert.All(results, r => Assert.Equal(DkimResult.Fail, r.Result));
    }

    [Fact]
    public async Task Changed_subject_fails()
    {
        var tampered = (await SignAsync()).Replace("Subject: The plans", "Subject: No plans", StringComparison.Ordinal);

        var results = await VerifyAsync(tampered);

        Assert.All(results, r => Assert.Equal(DkimResult.Fail, r.Result));
    }

    [Fact]
    public async Task Added_second_from_fails_because_from_is_over_signed()
    {
        var signed = await SignAsync();
        var forged = "From: Darth Vader <vader@empire.test>\r\n" + signed;

        var results = await VerifyAsync(forged);

        Assert.Equal(2, results.Count);
        Assert.All(results, r => Assert.Equal(DkimResult.Fail, r.Result));
    }

    [Fact]
    public async Task Added_unsigned_header_still_passes()
    {
        // Control for the test above: only fields named in h= are protected.
        var results = await VerifyAsync("X-Spam-Score: 0\r\n" + await SignAsync());

        Assert.All(results, r => Assert.Equal(DkimResult.Pass, r.Result));
    }

    [Fact]
    public async Task Eight_bit_body_is_re_encoded_before_signing_and_verifies()
    {
        var eightBit = TestMessages.Plain.Replace("Help me", "Hélp mé", StringComparison.Ordinal)
            .Replace("Content-Type: text/plain; charset=utf-8\r\n", "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n", StringComparison.Ordinal);

        var signed = await SignAsync(eightBit);

        Assert.All(Encoding.UTF8.GetBytes(signed), b => Assert.True(b < 0x80));
        Assert.All(await VerifyAsync(signed), r => Assert.Equal(DkimResult.Pass, r.Result));
    }

    [Fact]
    public async Task Missing_key_record_is_permerror_and_dns_failure_is_temperror()
    {
        var signed = await SignAsync();
        var dns = new Support.FakeDns().Txt(fixture.Keys.Rsa.DnsName, fixture.Keys.Rsa.TxtRecord);
        dns.Failing.Add(fixture.Keys.Rsa.DnsName);

        var results = await VerifyAsync(signed, dns);

        Assert.Equal(DkimResult.PermError, results.Single(r => r.Selector == "kp-ed").Result);
        Assert.Equal(DkimResult.TempError, results.Single(r => r.Selector == "kp-rsa").Result);
    }

    [Fact]
    public async Task Revoked_key_is_permerror()
    {
        var dns = new Support.FakeDns()
            .Txt(fixture.Keys.Ed25519.DnsName, "v=DKIM1; k=ed25519; p=")
            .Txt(fixture.Keys.Rsa.DnsName, fixture.Keys.Rsa.TxtRecord);

        var results = await VerifyAsync(await SignAsync(), dns);

        Assert.Equal(DkimResult.PermError, results.Single(r => r.Selector == "kp-ed").Result);
        Assert.Equal(DkimResult.Pass, results.Single(r => r.Selector == "kp-rsa").Result);
    }

    [Fact]
    public async Task Key_of_another_selector_fails()
    {
        // The Ed25519 selector publishing a different Ed25519 key: the signature must not verify.
        var other = new Org.BouncyCastle.Crypto.Parameters.Ed25519PrivateKeyParameters(new Org.BouncyCastle.Security.SecureRandom());
        var dns = new Support.FakeDns().Txt(fixture.Keys.Ed25519.DnsName, DkimTxtRecord.Format(other.GeneratePublicKey()));

        var results = await VerifyAsync(await SignAsync(), dns);

        Assert.Equal(DkimResult.Fail, results.Single(r => r.Selector == "kp-ed").Result);
    }

    [Fact]
    public async Task Unsigned_message_has_no_results()
    {
        Assert.Empty(await VerifyAsync(TestMessages.Plain));
    }
}
