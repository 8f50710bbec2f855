using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Keypost.Mail.Dane;
using Keypost.Mail.Queue;
using Keypost.Mail.Tests.Support;
using Keypost.Mail.TlsRpt;
using Keypost.Testing;
using Keypost.Testing.Dns;
using Keypost.Testing.Mail;
using MimeKit;

namespace Keypost.Mail.Tests.Delivery;

/// <summary>
/// Issue #13: outbound mail to a domain that asks for TLS (DANE, RFC 7672; MTA-STS, RFC 8461) goes only over
/// authenticated TLS. DNSSEC is real: Unbound validates zones signed with ldns-signzone (see ValidatingResolver).
/// </summary>
public sealed class TransportSecurityTests
{
    private const string Leia = "leia@rebel.test";
    private const string Han = "han@dane.test";
    private const string Lando = "lando@sts.test";
    private const string Policy = "version: STSv1\r\nmode: enforce\r\nmx: mx.sts.test\r\nmax_age: 86400\r\n";

    [ToolFact(ValidatingResolver.Unbound, ValidatingResolver.KeyGen, ValidatingResolver.SignZone)]
    public async Task DaneEeDomainWithMatchingTlsaDeliversOverTls()
    {
        using var certificate = TestCertificate.Create("some-other-name.example");
        await using var peer = new ScriptedSmtpPeer(certificate);
        await using var dns = await ValidatingResolver.StartAsync(DaneZone(peer.Port, TlsaAssociation.EndEntitySpkiSha256(certificate).ToPresentation()));
        await using var h = await DeliveryHarness.CreateAsync(peer, new TransportSetup(dns.Client(), peer.Port));
        await h.EnqueueAsync(Leia, "dane ee", Han);

        await h.Worker.RunOnceAsync(CancellationToken.None);

        // RFC 7672 §3.1.1: DANE-EE ignores the names in the certificate.
        Assert.True(Assert.Single(peer.Messages).Tls);
        Assert.Empty(await h.Queue.ListAsync(CancellationToken.None));
        var tally = Assert.Single(Tallies(h, "dane.test"));
        Assert.Equal(("tlsa", 1, 0), (tally.PolicyType, tally.Successes, tally.Failures));
    }

    [ToolFact(ValidatingResolver.Unbound, ValidatingResolver.KeyGen, ValidatingResolver.SignZone)]
    public async Task DaneTaDomainDeliversWhenTheChainLeadsToThePublishedAnchor()
    {
        using var root = new TestCertificateAuthority("Root");
        using var ca = root.Intermediate("DANE TA");
        using var leaf = ca.Issue("mx.dane.test");
        await using var peer = new ScriptedSmtpPeer(leaf, [ca.Certificate]);
        var anchor = $"2 0 1 {Convert.ToHexStringLower(SHA256.HashData(ca.Certificate.RawData))}";
        await using var dns = await ValidatingResolver.StartAsync(DaneZone(peer.Port, anchor));
        await using var h = await DeliveryHarness.CreateAsync(peer, new TransportSetup(dns.Client(), peer.Port));
        await h.EnqueueAsync(Leia, "dane ta", Han);

        await h.Worker.RunOnceAsync(CancellationToken.None);

        Assert.True(Assert.Single(peer.Messages).Tls);
    }

    [ToolFact(ValidatingResolver.Unbound, ValidatingResolver.KeyGen, ValidatingResolver.SignZone)]
    public async Task DaneTaRefusesALeafForAnotherNameUnderTheRightAnchor()
    {
        using var root = new TestCertificateAuthority("Root");
        using var ca = root.Intermediate("DANE TA");
        using var leaf = ca.Issue("mx.elsewhere.test");
        await using var peer = new ScriptedSmtpPeer(leaf, [ca.Certificate]);
        var anchor = $"2 0 1 {Convert.ToHexStringLower(SHA256.HashData(ca.Certificate.RawData))}";
        await using var dns = await ValidatingResolver.StartAsync(DaneZone(peer.Port, anchor));
        await using var h = await DeliveryHarness.CreateAsync(peer, new TransportSetup(dns.Client(), peer.Port));
        var id = await h.EnqueueAsync(Leia, "dane ta wrong name", Han);

        await h.Worker.RunOnceAsync(CancellationToken.None);

        Assert.Empty(peer.Messages);
        var recipient = Assert.Single((await h.Queue.GetAsync(id, CancellationToken.None))!.Recipients);
        Assert.Equal(RecipientState.Deferred, recipient.State);
        Assert.True(recipient.LastError!.Contains("do not match mx.dane.test", StringComparison.Ordinal), recipient.LastError);
    }

    [ToolFact(ValidatingResolver.Unbound, ValidatingResolver.KeyGen, ValidatingResolver.SignZone)]
    public async Task DaneWrongCertificateIsDeferredNeverSentInClearThenBouncedWithTheReason()
    {
        using var published = TestCertificate.Create("mx.dane.test");
        using var presented = TestCertificate.Create("mx.dane.test");
        await using var peer = new ScriptedSmtpPeer(presented);
        await using var dns = await ValidatingResolver.StartAsync(DaneZone(peer.Port, TlsaAssociation.EndEntitySpkiSha256(published).ToPresentation()));
        await using var h = await DeliveryHarness.CreateAsync(peer, new TransportSetup(dns.Client(), peer.Port));
        var id = await h.EnqueueAsync(Leia, "dane mismatch", Han);

        await h.Worker.RunOnceAsync(CancellationToken.None);

        Assert.Empty(peer.Messages);
        Assert.DoesNotContain(peer.Commands, c => c.StartsWith("MAIL", StringComparison.OrdinalIgnoreCase));
        var recipient = Assert.Single((await h.Queue.GetAsync(id, CancellationToken.None))!.Recipients);
        Assert.Equal(RecipientState.Deferred, recipient.State);
        Assert.Contains("DANE: no TLSA record matches", recipient.LastError, StringComparison.Ordinal);
        var failure = Assert.Single(Assert.Single(Tallies(h, "dane.test")).FailureDetails);
        Assert.Equal(("validation-failure", "mx.dane.test"), (failure.ResultType, failure.ReceivingMx));

        // After the retry window: a DSN to the sender that names the reason (RFC 3464 Diagnostic-Code).
        h.Clock.Advance(TimeSpan.FromHours(2));
        await h.Worker.RunOnceAsync(CancellationToken.None);

        Assert.Empty(peer.Messages);
        Assert.Null(await h.Queue.GetAsync(id, CancellationToken.None));
        var status = await SingleDsnStatusAsync(h);
        Assert.Equal("5.4.7", status["Status"]);
        Assert.Contains("DANE: no TLSA record matches", status["Diagnostic-Code"], StringComparison.Ordinal);
    }

    [ToolFact(ValidatingResolver.Unbound, ValidatingResolver.KeyGen, ValidatingResolver.SignZone)]
    public async Task DaneDomainBehindAStartTlsStrippingProxyIsRefused()
    {
        using var certificate = TestCertificate.Create("mx.dane.test");
        await using var peer = new ScriptedSmtpPeer(certificate);
        await using var proxy = new StartTlsStrippingProxy(new IPEndPoint(IPAddress.Loopback, peer.Port));
        await using var dns = await ValidatingResolver.StartAsync(DaneZone(proxy.Port, TlsaAssociation.EndEntitySpkiSha256(certificate).ToPresentation()));
        await using var h = await DeliveryHarness.CreateAsync(peer, new TransportSetup(dns.Client(), proxy.Port));
        var id = await h.EnqueueAsync(Leia, "stripped", Han);

        await h.Worker.RunOnceAsync(CancellationToken.None);

        Assert.True(proxy.Connections > 0);
        Assert.Empty(peer.Messages);
        Assert.DoesNotContain(peer.Commands, c => c.StartsWith("MAIL", StringComparison.OrdinalIgnoreCase));
        var recipient = Assert.Single((await h.Queue.GetAsync(id, CancellationToken.None))!.Recipients);
        Assert.Equal(RecipientState.Deferred, recipient.State);
        Assert.Contains("STARTTLS not offered", recipient.LastError, StringComparison.Ordinal);
        Assert.Equal("starttls-not-supported", Assert.Single(Assert.Single(Tallies(h, "dane.test")).FailureDetails).ResultType);
    }

    [ToolFact(ValidatingResolver.Unbound, ValidatingResolver.KeyGen, ValidatingResolver.SignZone)]
    public async Task TlsaInAnUnsignedZoneIsIgnored()
    {
        // Without DNSSEC anyone on the path could forge the TLSA: RFC 7672 §2.2 uses only secure records.
        using var published = TestCertificate.Create("mx.dane.test");
        using var presented = TestCertificate.Create("mx.dane.test");
        await using var peer = new ScriptedSmtpPeer(presented);
        var zone = new TestZone("dane.test", signed: false)
            .Mx("dane.test", 10, "mx.dane.test").A("mx.dane.test", "127.0.0.1")
            .Tlsa("mx.dane.test", peer.Port, TlsaAssociation.EndEntitySpkiSha256(published).ToPresentation());
        await using var dns = await ValidatingResolver.StartAsync(zone);
        await using var h = await DeliveryHarness.CreateAsync(peer, new TransportSetup(dns.Client(), peer.Port));
        await h.EnqueueAsync(Leia, "insecure tlsa", Han);

        await h.Worker.RunOnceAsync(CancellationToken.None);

        Assert.Single(peer.Messages);
    }

    [ToolFact(ValidatingResolver.Unbound)]
    public async Task MtaStsEnforceDomainWithAValidCertificateDelivers()
    {
        using var ca = new TestCertificateAuthority();
        using var mx = ca.Issue("mx.sts.test");
        await using var peer = new ScriptedSmtpPeer(mx);
        await using var sts = await StsSetupAsync(ca, peer.Port, Policy);
        await using var h = await DeliveryHarness.CreateAsync(peer, sts.Transport);
        await h.EnqueueAsync(Leia, "sts ok", Lando);

        await h.Worker.RunOnceAsync(CancellationToken.None);

        Assert.True(Assert.Single(peer.Messages).Tls);
        var tally = Assert.Single(Tallies(h, "sts.test"));
        Assert.Equal(("sts", 1), (tally.PolicyType, tally.Successes));
        Assert.Contains("mode: enforce", tally.PolicyStrings);
    }

    [ToolFact(ValidatingResolver.Unbound)]
    public async Task MtaStsEnforceDomainBehindAMitmCertificateIsDeferred()
    {
        using var ca = new TestCertificateAuthority();
        using var attacker = TestCertificate.Create("mx.sts.test");
        await using var peer = new ScriptedSmtpPeer(attacker);
        await using var sts = await StsSetupAsync(ca, peer.Port, Policy);
        await using var h = await DeliveryHarness.CreateAsync(peer, sts.Transport);
        var id = await h.EnqueueAsync(Leia, "sts mitm", Lando);

        await h.Worker.RunOnceAsync(CancellationToken.None);

        Assert.Empty(peer.Messages);
        Assert.DoesNotContain(peer.Commands, c => c.StartsWith("MAIL", StringComparison.OrdinalIgnoreCase));
        var recipient = Assert.Single((await h.Queue.GetAsync(id, CancellationToken.None))!.Recipients);
        Assert.Equal(RecipientState.Deferred, recipient.State);
        Assert.Contains("MTA-STS: certificate chain does not validate", recipient.LastError, StringComparison.Ordinal);
        Assert.Equal("certificate-not-trusted", Assert.Single(Assert.Single(Tallies(h, "sts.test")).FailureDetails).ResultType);
    }

    [ToolFact(ValidatingResolver.Unbound)]
    public async Task TlsRequiredNoIgnoresAnMtaStsEnforcePolicyBehindAMitmCertificate()
    {
        // RFC 8689 §5: the sender asked that the recipient's policy be ignored for this message; STARTTLS still used.
        using var ca = new TestCertificateAuthority();
        using var attacker = TestCertificate.Create("mx.sts.test");
        await using var peer = new ScriptedSmtpPeer(attacker);
        await using var sts = await StsSetupAsync(ca, peer.Port, Policy);
        await using var h = await DeliveryHarness.CreateAsync(peer, sts.Transport);
        var relaxed = await h.EnqueueRawAsync(
            new Keypost.Mail.Queue.QueueEnvelope(Keypost.Core.Addresses.EmailAddress.Parse(Leia), [Keypost.Core.Addresses.EmailAddress.Parse(Lando)]),
            "TLS-Required: No\r\n" + DeliveryHarness.Message(Leia, Lando, "relaxed"));
        var held = await h.EnqueueAsync(Leia, "held", Lando);

        await h.Worker.RunOnceAsync(CancellationToken.None);

        var delivered = Assert.Single(peer.Messages);
        Assert.True(delivered.Tls);
        Assert.Contains("Subject: relaxed", delivered.Data, StringComparison.Ordinal);
        Assert.Null(await h.Queue.GetAsync(relaxed, CancellationToken.None)); // delivered, so no longer queued
        Assert.Equal(RecipientState.Deferred, Assert.Single((await h.Queue.GetAsync(held, CancellationToken.None))!.Recipients).State);
    }

    [ToolFact(ValidatingResolver.Unbound)]
    public async Task MtaStsEnforceDomainBehindAStartTlsStrippingProxyIsRefused()
    {
        using var ca = new TestCertificateAuthority();
        using var mx = ca.Issue("mx.sts.test");
        await using var peer = new ScriptedSmtpPeer(mx);
        await using var proxy = new StartTlsStrippingProxy(new IPEndPoint(IPAddress.Loopback, peer.Port));
        await using var sts = await StsSetupAsync(ca, proxy.Port, Policy);
        await using var h = await DeliveryHarness.CreateAsync(peer, sts.Transport);
        var id = await h.EnqueueAsync(Leia, "sts stripped", Lando);

        await h.Worker.RunOnceAsync(CancellationToken.None);

        Assert.True(proxy.Connections > 0);
        Assert.Empty(peer.Messages);
        var recipient = Assert.Single((await h.Queue.GetAsync(id, CancellationToken.None))!.Recipients);
        Assert.Equal(RecipientState.Deferred, recipient.State);
        Assert.Contains("STARTTLS not offered", recipient.LastError, StringComparison.Ordinal);
        Assert.Equal("starttls-not-supported", Assert.Single(Assert.Single(Tallies(h, "sts.test")).FailureDetails).ResultType);
    }

    [ToolFact(ValidatingResolver.Unbound)]
    public async Task MtaStsEnforceSkipsAnMxThePolicyDoesNotName()
    {
        using var ca = new TestCertificateAuthority();
        using var mx = ca.Issue("mx.sts.test");
        await using var peer = new ScriptedSmtpPeer(mx);
        await using var sts = await StsSetupAsync(ca, peer.Port, Policy.Replace("mx: mx.sts.test", "mx: *.other.test", StringComparison.Ordinal));
        await using var h = await DeliveryHarness.CreateAsync(peer, sts.Transport);
        var id = await h.EnqueueAsync(Leia, "sts wrong mx", Lando);

        await h.Worker.RunOnceAsync(CancellationToken.None);

        Assert.Equal(0, peer.Connections);
        Assert.Contains("not an MX host of the MTA-STS policy", Assert.Single((await h.Queue.GetAsync(id, CancellationToken.None))!.Recipients).LastError, StringComparison.Ordinal);
    }

    [ToolFact(ValidatingResolver.Unbound)]
    public async Task MtaStsTestingDeliversDespiteAMitmCertificateAndReportsIt()
    {
        using var ca = new TestCertificateAuthority();
        using var attacker = TestCertificate.Create("mx.sts.test");
        await using var peer = new ScriptedSmtpPeer(attacker);
        await using var sts = await StsSetupAsync(ca, peer.Port, Policy.Replace("enforce", "testing", StringComparison.Ordinal));
        await using var h = await DeliveryHarness.CreateAsync(peer, sts.Transport);
        await h.EnqueueAsync(Leia, "sts testing", Lando);

        await h.Worker.RunOnceAsync(CancellationToken.None);

        Assert.Single(peer.Messages);
        Assert.Equal("certificate-not-trusted", Assert.Single(Assert.Single(Tallies(h, "sts.test")).FailureDetails).ResultType);
    }

    [ToolFact(ValidatingResolver.Unbound)]
    public async Task MtaStsPolicyServedWithAnUntrustedCertificateIsNotBelieved()
    {
        // The policy itself comes over Web PKI-checked HTTPS (RFC 8461 §3.3); a forged one is ignored (and reported).
        using var ca = new TestCertificateAuthority();
        using var otherCa = new TestCertificateAuthority("Attacker");
        using var attacker = TestCertificate.Create("mx.sts.test");
        await using var peer = new ScriptedSmtpPeer(attacker);
        await using var sts = await StsSetupAsync(ca, peer.Port, Policy, policyIssuer: otherCa);
        await using var h = await DeliveryHarness.CreateAsync(peer, sts.Transport);

        var (policy, error) = await h.MtaSts!.GetAsync("sts.test", CancellationToken.None);

        Assert.Null(policy);
        Assert.StartsWith("sts-webpki-invalid", error, StringComparison.Ordinal);
    }

    private static TestZone DaneZone(int port, string tlsa) =>
        new TestZone("dane.test", signed: true)
            .Mx("dane.test", 10, "mx.dane.test")
            .A("mx.dane.test", "127.0.0.1")
            .Tlsa("mx.dane.test", port, tlsa);

    private static async Task<StsSetup> StsSetupAsync(TestCertificateAuthority ca, int smtpPort, string policy, TestCertificateAuthority? policyIssuer = null)
    {
        var policyCertificate = (policyIssuer ?? ca).Issue("mta-sts.sts.test");
        var https = new StaticHttpsServer(IPAddress.Loopback, policyCertificate, policy);
        var zone = new TestZone("sts.test", signed: false)
            .Mx("sts.test", 10, "mx.sts.test").A("mx.sts.test", "127.0.0.1")
            .Txt("_mta-sts.sts.test", "v=STSv1; id=20261207T000000")
            .A("mta-sts.sts.test", "127.0.0.1");
        var dns = await ValidatingResolver.StartAsync(zone);
        return new StsSetup(dns, https, policyCertificate, new TransportSetup(dns.Client(), smtpPort, https.Port, [ca.Certificate]));
    }

    private static IReadOnlyList<TlsPolicyTally> Tallies(DeliveryHarness h, string domain) =>
        h.TlsReports.Peek(DateOnly.FromDateTime(DateTime.UtcNow), domain);

    private static async Task<HeaderList> SingleDsnStatusAsync(DeliveryHarness h)
    {
        var entry = Assert.Single(await h.Queue.ListAsync(CancellationToken.None), m => m.ReversePath is null);
        var dsn = await h.LoadAsync(entry.Id);
        var status = Assert.Single(Assert.IsType<MultipartReport>(dsn.Body).OfType<MessageDeliveryStatus>());
        Assert.Equal("failed", status.StatusGroups[1]["Action"]);
        return status.StatusGroups[1];
    }

    private sealed record StsSetup(ValidatingResolver Dns, StaticHttpsServer Https, X509Certificate2 Certificate, TransportSetup Transport) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Https.DisposeAsync();
            await Dns.DisposeAsync();
            Certificate.Dispose();
        }
    }
}
