using System.Net;
using System.Text;
using Keypost.Core.Addresses;
using Keypost.LocalServe;
using Keypost.Mail.Authentication;
using Keypost.Mail.Dkim;
using Keypost.Mail.Dns;
using Keypost.Mail.Queue;
using Keypost.Mail.Smtp;
using Keypost.Server.Mail;
using Keypost.Testing;

namespace Keypost.Server.Tests.Mail;

/// <summary>The step between DATA and 250, over a real queue on disk and a real DNS server on loopback.</summary>
public sealed class MailIntakeTests : IAsyncLifetime
{
    private const string Message = "From: Leia <leia@rebel.test>\r\nTo: luke@jedi.test\r\nSubject: plans\r\nMessage-ID: <1@rebel.test>\r\nDate: Sun, 29 Nov 2026 10:00:00 +0000\r\n\r\nThe plans are in R2.\r\n";
    private readonly TempDirectory _directory = new("keypost-intake");
    private readonly LoopbackDnsServer _dns = new();
    private MessageQueue _queue = null!;
    private DkimKeyStore _keys = null!;
    private MailIntake _intake = null!;

    public async Task InitializeAsync()
    {
        _queue = await MessageQueue.OpenAsync(_directory.Combine("queue"));
        _keys = new DkimKeyStore(_directory.Combine("dkim"));
        var rebel = await _keys.GetOrCreateAsync("rebel.test", CancellationToken.None);
        foreach (var key in rebel.All)
        {
            _dns.Txt(key.DnsName, key.TxtRecord);
        }

        _dns.Txt("rebel.test", "v=spf1 ip4:127.0.0.0/8 -all").Txt("_dmarc.rebel.test", "v=DMARC1; p=reject");
        var resolver = new MailDnsResolver(new MailDnsResolverOptions { NameServers = [_dns.EndPoint] });
        _intake = new MailIntake(_queue, new InboundAuthenticator(resolver, "mx.jedi.test"), new DkimSigningService(_keys), "mx.jedi.test", honourDmarcReject: true, TimeProvider.System);
    }

    public Task DisposeAsync()
    {
        _queue.Dispose();
        _dns.Dispose();
        _directory.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Submission_is_dkim_signed_traced_and_queued()
    {
        var result = await AcceptAsync(SmtpListenerKind.Submission, "leia@rebel.test", IPAddress.Loopback, Message);
        Assert.Equal(250, result.Code);
        var stored = await StoredAsync(result);
        Assert.Contains("DKIM-Signature: v=1; a=ed25519-sha256; d=rebel.test", stored, StringComparison.Ordinal);
        Assert.Contains("a=rsa-sha256", stored, StringComparison.Ordinal);
        Assert.Contains("by mx.jedi.test with ESMTPSA", stored, StringComparison.Ordinal);
        Assert.Contains("The plans are in R2.", stored, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Signed_mail_from_a_permitted_address_passes_everything()
    {
        var signed = await new DkimSigningService(_keys).SignAsync(new MemoryStream(Encoding.ASCII.GetBytes(Message)), "rebel.test", CancellationToken.None);
        var result = await AcceptAsync(SmtpListenerKind.Inbound, "leia@rebel.test", IPAddress.Loopback, Encoding.ASCII.GetString(signed));
        Assert.Equal(250, result.Code);
        var stored = await StoredAsync(result);
        Assert.StartsWith("Received: from rebel.test ([127.0.0.1])", stored, StringComparison.Ordinal);
        Assert.Contains("Authentication-Results: mx.jedi.test;", stored, StringComparison.Ordinal);
        Assert.Contains("dkim=pass", stored, StringComparison.Ordinal);
        Assert.Contains("spf=pass", stored, StringComparison.Ordinal);
        Assert.Contains("dmarc=pass", stored, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Forged_mail_under_p_reject_is_refused_and_nothing_is_queued()
    {
        var result = await AcceptAsync(SmtpListenerKind.Inbound, "leia@rebel.test", IPAddress.Parse("192.0.2.66"), Message);
        Assert.Equal(550, result.Code);
        Assert.Equal("5.7.1", result.EnhancedCode);
        Assert.Contains("DMARC", result.Text, StringComparison.Ordinal);
        Assert.Empty(await _queue.ListAsync(CancellationToken.None));
    }

    [Fact]
    public async Task A_forged_authentication_results_header_claiming_our_name_is_removed()
    {
        var forged = "Authentication-Results: mx.jedi.test; dkim=pass; spf=pass; dmarc=pass\r\n" + Message.Replace("rebel.test", "elsewhere.test", StringComparison.Ordinal);
        var result = await AcceptAsync(SmtpListenerKind.Inbound, "leia@elsewhere.test", IPAddress.Loopback, forged);
        Assert.Equal(250, result.Code);
        var stored = await StoredAsync(result);
        Assert.Single(stored.Split("Authentication-Results: mx.jedi.test", StringSplitOptions.None).Skip(1));
        Assert.DoesNotContain("dkim=pass", stored, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(SmtpListenerKind.Inbound, "x\r\n")]
    [InlineData(SmtpListenerKind.Submission, "x\r\n")]
    [InlineData(SmtpListenerKind.Inbound, "not a header line\r\nFrom: leia@rebel.test\r\n\r\nbody\r\n")]
    public async Task Data_that_is_not_a_message_is_refused_for_good(SmtpListenerKind kind, string data)
    {
        var result = await AcceptAsync(kind, "leia@rebel.test", IPAddress.Loopback, data);

        Assert.Equal(554, result.Code);
        Assert.Equal("5.6.0", result.EnhancedCode);
        Assert.Empty(await _queue.ListAsync(CancellationToken.None));
    }

    [Theory]
    [InlineData("To: luke@jedi.test\r\nSubject: no author\r\n\r\nbody\r\n", "no From header")]
    [InlineData("From: \r\nTo: luke@jedi.test\r\n\r\nbody\r\n", "exactly one mailbox")]
    [InlineData("From: leia@rebel.test\r\nFrom: han@rebel.test\r\n\r\nbody\r\n", "more than one From header")]
    public async Task A_message_without_one_usable_from_is_refused_naming_the_problem(string message, string problem)
    {
        var result = await AcceptAsync(SmtpListenerKind.Inbound, "leia@rebel.test", IPAddress.Loopback, message);

        Assert.Equal(550, result.Code);
        Assert.Contains(problem, result.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("DMARC policy of", result.Text, StringComparison.Ordinal);
        Assert.Empty(await _queue.ListAsync(CancellationToken.None));
    }

    [Fact]
    public async Task A_large_inbound_message_is_stored_whole()
    {
        var body = new System.Text.StringBuilder();
        for (var i = 0; i < 40_000; i++)
        {
            body.Append("line ").Append(i).Append(" of the plans\r\n");
        }

        var signed = await new DkimSigningService(_keys).SignAsync(new MemoryStream(Encoding.ASCII.GetBytes(Message.Replace("The plans are in R2.\r\n", body.ToString(), StringComparison.Ordinal))), "rebel.test", CancellationToken.None);
        var result = await AcceptAsync(SmtpListenerKind.Inbound, "leia@rebel.test", IPAddress.Loopback, Encoding.ASCII.GetString(signed));

        Assert.Equal(250, result.Code);
        var stored = await StoredAsync(result);
        Assert.Contains("dkim=pass", stored, StringComparison.Ordinal);
        Assert.EndsWith(Encoding.ASCII.GetString(signed)[^200..], stored, StringComparison.Ordinal);
        Assert.Contains("line 39999 of the plans", stored, StringComparison.Ordinal);
    }

    private Task<AcceptResult> AcceptAsync(SmtpListenerKind kind, string from, IPAddress client, string message)
    {
        var session = new SmtpSessionInfo(kind, client, from.Split('@')[1], IsSecure: true, kind == SmtpListenerKind.Submission ? from : null);
        var envelope = new SmtpEnvelope(EmailAddress.Parse(from), [EmailAddress.Parse("luke@jedi.test")]);
        return _intake.AcceptAsync(session, envelope, new MemoryStream(Encoding.UTF8.GetBytes(message)), CancellationToken.None);
    }

    private async Task<string> StoredAsync(AcceptResult result)
    {
        var id = result.Text.Split(' ')[^1];
        await using var data = _queue.OpenData(id);
        using var reader = new StreamReader(data);
        return await reader.ReadToEndAsync();
    }
}
