using Keypost.Mail.Authentication;
using Keypost.Mail.Dkim;
using Keypost.Mail.Dmarc;
using Keypost.Mail.Spf;
using Keypost.Mail.Tests.Dkim;
using MimeKit;

namespace Keypost.Mail.Tests.Authentication;

public sealed class AuthenticationResultsHeaderTests
{
    [Fact]
    public void Builds_the_rfc_8601_value()
    {
        var value = AuthenticationResultsHeader.Build(
            "mx.jedi.test",
            [new DkimSignatureResult(DkimResult.Pass, "rebel.test", "kp-ed", "ed25519-sha256", "abcd1234")],
            new SpfCheckResult(SpfResult.Pass, SpfIdentity.MailFrom, "rebel.test", "leia@rebel.test"),
            new DmarcCheckResult(DmarcResult.Pass, "rebel.test", DmarcPolicy.None));

        Assert.Equal("mx.jedi.test; dkim=pass header.d=rebel.test header.s=kp-ed header.b=abcd1234; spf=pass smtp.mailfrom=\"leia@rebel.test\"; dmarc=pass header.from=rebel.test", value);
    }

    [Fact]
    public void No_signature_is_dkim_none_helo_identity_and_quoting()
    {
        var value = AuthenticationResultsHeader.Build(
            "mx.jedi.test",
            [new DkimSignatureResult(DkimResult.Fail, "rebel.test", "kp-rsa", "rsa-sha256", "ab/c+d=e")],
            new SpfCheckResult(SpfResult.SoftFail, SpfIdentity.Helo, "mail.rebel.test", "postmaster@mail.rebel.test"),
            new DmarcCheckResult(DmarcResult.PermError, null, DmarcPolicy.Reject));
        var none = AuthenticationResultsHeader.Build(
            "mx.jedi.test",
            [],
            new SpfCheckResult(SpfResult.None, SpfIdentity.MailFrom, "rebel.test", "leia@rebel.test"),
            new DmarcCheckResult(DmarcResult.None, "rebel.test", DmarcPolicy.None));

        Assert.Equal("mx.jedi.test; dkim=fail header.d=rebel.test header.s=kp-rsa header.b=\"ab/c+d=e\"; spf=softfail smtp.helo=mail.rebel.test; dmarc=permerror", value);
        Assert.StartsWith("mx.jedi.test; dkim=none; spf=none", none, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("mx.jedi.test; dkim=pass", "mx.jedi.test")]
    [InlineData(" (comment) MX.jedi.test 1; none", "MX.jedi.test")]
    [InlineData("mx.jedi.test;spf=pass", "mx.jedi.test")]
    public void Finds_the_authserv_id(string value, string expected)
    {
        Assert.Equal(expected, AuthenticationResultsHeader.AuthservIdOf(value));
    }

    [Fact]
    public async Task Removes_only_results_claiming_our_id()
    {
        var raw = "Authentication-Results: mx.jedi.test; dkim=pass header.d=empire.test\r\n" +
                  "Authentication-Results: relay.other.test; spf=pass smtp.mailfrom=x@other.test\r\n" +
                  "authentication-results: (forged) MX.JEDI.TEST; dmarc=pass\r\n" +
                  TestMessages.Plain;
        var message = await MimeMessage.LoadAsync(TestMessages.Stream(raw));

        var removed = AuthenticationResultsHeader.RemoveClaims(message.Headers, "mx.jedi.test");

        Assert.Equal(2, removed);
        var left = message.Headers.Where(h => h.Field.Equals("Authentication-Results", StringComparison.OrdinalIgnoreCase)).ToList();
        Assert.Equal("relay.other.test", AuthenticationResultsHeader.AuthservIdOf(Assert.Single(left).Value));
    }
}
