using System.IO.Compression;
using System.Text.Json;
using Keypost.LocalServe;
using Keypost.Mail.Dns;
using Keypost.Mail.Queue;
using Keypost.Mail.TlsRpt;
using Microsoft.Extensions.Time.Testing;
using MimeKit;

namespace Keypost.Mail.Tests.TlsRpt;

/// <summary>RFC 8460: yesterday's TLS outcomes go as one gzip JSON report per domain to the address its _smtp._tls record names.</summary>
public sealed class TlsReportSenderTests : IDisposable
{
    private readonly LoopbackDnsServer dns = new();
    private readonly string queueDirectory = System.IO.Directory.CreateTempSubdirectory("keypost-tlsrpt-").FullName;

    [Fact]
    public async Task YesterdaysFailuresAreMailedAsAnRfc8460ReportToTheRuaAddress()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 6, 15, 0, 0, TimeSpan.Zero));
        dns.Txt("_smtp._tls.dane.test", "v=TLSRPTv1; rua=mailto:tlsrpt@dane.test");
        using var queue = await MessageQueue.OpenAsync(queueDirectory, new MessageQueueOptions { TimeProvider = clock });
        var collector = new TlsReportCollector(clock);
        collector.Record(new TlsSessionOutcome("dane.test", "tlsa", ["3 1 1 abcd"], "mx.dane.test", "192.0.2.1", "validation-failure", "no TLSA record matches"));
        collector.Record(new TlsSessionOutcome("dane.test", "tlsa", ["3 1 1 abcd"], "mx.dane.test", "192.0.2.1", null, null));
        using var sender = new TlsReportSender(collector, Resolver(), queue, new TlsReportOptions { Organization = "rebel.test", Contact = "postmaster@rebel.test", HostName = "mx.rebel.test", TimeProvider = clock });

        Assert.Equal(0, await sender.SendDueAsync(CancellationToken.None)); // Today is not over.
        clock.Advance(TimeSpan.FromDays(1));
        Assert.Equal(1, await sender.SendDueAsync(CancellationToken.None));

        var entry = Assert.Single(await queue.ListAsync(CancellationToken.None));
        Assert.Equal("tlsrpt@dane.test", Assert.Single(entry.Recipients).Address.ToString());
        MimeMessage message;
        await using (var data = queue.OpenData(entry.Id))
        {
            message = await MimeMessage.LoadAsync(data);
        }

        Assert.Equal("dane.test", message.Headers["TLS-Report-Domain"]);
        var report = Assert.IsType<MultipartReport>(message.Body);
        Assert.Equal("tlsrpt", report.ReportType);
        var part = Assert.Single(report.OfType<MimePart>(), p => p.ContentType.MimeType == "application/tlsrpt+gzip");
        Assert.StartsWith("rebel.test!dane.test!", part.FileName, StringComparison.Ordinal);
        using var gz = new MemoryStream();
        await part.Content!.DecodeToAsync(gz);
        gz.Position = 0;
        using var json = await JsonDocument.ParseAsync(new GZipStream(gz, CompressionMode.Decompress));
        var root = json.RootElement;
        Assert.Equal("2026-12-06T00:00:00Z", root.GetProperty("date-range").GetProperty("start-datetime").GetString());
        var policy = Assert.Single(root.GetProperty("policies").EnumerateArray().ToList());
        Assert.Equal("tlsa", policy.GetProperty("policy").GetProperty("policy-type").GetString());
        Assert.Equal(1, policy.GetProperty("summary").GetProperty("total-successful-session-count").GetInt32());
        Assert.Equal(1, policy.GetProperty("summary").GetProperty("total-failure-session-count").GetInt32());
        var failure = Assert.Single(policy.GetProperty("failure-details").EnumerateArray().ToList());
        Assert.Equal("validation-failure", failure.GetProperty("result-type").GetString());
        Assert.Equal("mx.dane.test", failure.GetProperty("receiving-mx-hostname").GetString());

        // Sent once: the counts are gone.
        Assert.Equal(0, await sender.SendDueAsync(CancellationToken.None));
    }

    [Fact]
    public async Task ADomainWithoutATlsRptRecordGetsNoReport()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 6, 15, 0, 0, TimeSpan.Zero));
        dns.Exists("quiet.test");
        using var queue = await MessageQueue.OpenAsync(queueDirectory, new MessageQueueOptions { TimeProvider = clock });
        var collector = new TlsReportCollector(clock);
        collector.Record(new TlsSessionOutcome("quiet.test", "sts", ["mode: enforce"], "mx.quiet.test", null, "starttls-not-supported", null));
        using var sender = new TlsReportSender(collector, Resolver(), queue, new TlsReportOptions { Organization = "rebel.test", Contact = "postmaster@rebel.test", HostName = "mx.rebel.test", TimeProvider = clock });
        clock.Advance(TimeSpan.FromDays(1));

        Assert.Equal(0, await sender.SendDueAsync(CancellationToken.None));
        Assert.Empty(await queue.ListAsync(CancellationToken.None));
    }

    public void Dispose()
    {
        dns.Dispose();
        System.IO.Directory.Delete(queueDirectory, recursive: true);
    }

    private MailDnsResolver Resolver() => new(new MailDnsResolverOptions { NameServers = [dns.EndPoint], Timeout = TimeSpan.FromSeconds(5), Retries = 1, UseCache = false });
}
