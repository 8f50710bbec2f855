using Keypost.Mail.Dkim;
using Keypost.Mail.Tests.Support;
using MimeKit;
using MimeKit.Cryptography;
using Org.BouncyCastle.Crypto.Parameters;

namespace Keypost.Mail.Tests.Dkim;

/// <summary>The worked example of RFC 8463 Appendix A: its keys (A.1, A.2) and signed message (A.3).</summary>
public sealed class Rfc8463VectorTests
{
    private const string Ed25519Seed = "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=";
    private const string Ed25519Record = "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
    private const string RsaRecord = "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWR" +
        "iGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutAC" +
        "DfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3" +
        "Ip3G+2kryOTIKT+l/K4w3QIDAQAB";

    private const string Unsigned =
        "From: Joe SixPack <joe@football.example.com>\r\n" +
        "To: Suzie Q <suzie@shopping.example.net>\r\n" +
        "Subject: Is dinner ready?\r\n" +
        "Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n" +
        "Message-ID: <20030712040037.46341.5F8J@football.example.com>\r\n" +
        "\r\n" +
        "Hi.\r\n" +
        "\r\n" +
        "We lost the game.  Are you hungry yet?\r\n" +
        "\r\n" +
        "Joe.\r\n";

    private const string Signatures =
        "DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed;\r\n" +
        " d=football.example.com; i=@football.example.com;\r\n" +
        " q=dns/txt; s=brisbane; t=1528637909; h=from : to :\r\n" +
        " subject : date : message-id : from : subject : date;\r\n" +
        " bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n" +
        " b=/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11Bus\r\n" +
        " Fa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==\r\n" +
        "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;\r\n" +
        " d=football.example.com; i=@football.example.com;\r\n" +
        " q=dns/txt; s=test; t=1528637909; h=from : to : subject :\r\n" +
        " date : message-id : from : subject : date;\r\n" +
        " bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n" +
        " b=F45dVWDfMbQDGHJFlXUNB2HKfbCeLRyhDXgFpEL8GwpsRe0IeIixNTe3\r\n" +
        " DhCVlUrSjV4BwcVcOF6+FF3Zo9Rpo1tFOeS9mPYQTnGdaSGsgeefOsk2Jz\r\n" +
        " dA+L10TeYt9BgDfQNZtKdN1WO//KgIqXP7OdEFE4LjFYNcUxZQ4FADY+8=\r\n";

    private static FakeDns Zone() => new FakeDns()
        .Txt("brisbane._domainkey.football.example.com", Ed25519Record)
        .Txt("test._domainkey.football.example.com", RsaRecord);

    [Fact]
    public async Task Rfc_signed_message_verifies()
    {
        var message = await MimeMessage.LoadAsync(TestMessages.Stream(Signatures + Unsigned));

        var results = await new DkimMessageVerifier(Zone()).VerifyAsync(message, CancellationToken.None);

        Assert.Equal([DkimResult.Pass, DkimResult.Pass], results.Select(r => r.Result));
        Assert.Equal(["brisbane", "test"], results.Select(r => r.Selector));
    }

    [Fact]
    public async Task Rfc_signed_message_with_changed_body_fails()
    {
        var message = await MimeMessage.LoadAsync(TestMessages.Stream(Signatures + Unsigned.Replace("hungry", "thirsty", StringComparison.Ordinal)));

        var results = await new DkimMessageVerifier(Zone()).VerifyAsync(message, CancellationToken.None);

        Assert.Equal([DkimResult.Fail, DkimResult.Fail], results.Select(r => r.Result));
    }

    [Fact]
    public async Task MimeKit_signing_with_the_rfc_key_gives_the_rfc_body_hash_and_public_key()
    {
        var key = new Ed25519PrivateKeyParameters(Convert.FromBase64String(Ed25519Seed));
        Assert.Equal(Ed25519Record, DkimTxtRecord.Format(key.GeneratePublicKey()));

        var message = await MimeMessage.LoadAsync(TestMessages.Stream(Unsigned));
        var signer = new DkimSigner(key, "football.example.com", "brisbane", DkimSignatureAlgorithm.Ed25519Sha256)
        {
            HeaderCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
            BodyCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
        };
        signer.Sign(message, ["From", "To", "Subject", "Date", "Message-ID", "From", "Subject", "Date"]);

        var signature = message.Headers[HeaderId.DkimSignature];
        Assert.Contains("bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=", signature, StringComparison.Ordinal);
        var results = await new DkimMessageVerifier(Zone()).VerifyAsync(message, CancellationToken.None);
        Assert.Equal(DkimResult.Pass, results.Single().Result);
    }
}
