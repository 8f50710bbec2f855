using System.Globalization;
using System.Net.Http.Headers;
using Keypost.Core.Addresses;
using Keypost.Mail.Dns;
using Keypost.Mail.Queue;
using Microsoft.Extensions.Logging;
using MimeKit;

namespace Keypost.Mail.TlsRpt;

/// <summary>
/// In charge of SMTP TLS reporting: counting outcomes and sending the daily reports.
/// Sends yesterday's TLS reports once a day (RFC 8460): for each recipient domain we tried, its
/// <c>_smtp._tls</c> TXT record names where reports go (rua=mailto: or https:); mailed reports go through the
/// queue like any mail, HTTPS ones are POSTed. What cannot be sent for a temporary reason is kept for the next run.
/// </summary>
public sealed class TlsReportSender(TlsReportCollector collector, IMailDnsResolver dns, MessageQueue queue, TlsReportOptions options) : IDisposable
{
    private readonly ILogger logger = options.LoggerFactory.CreateLogger("Keypost.Mail.TlsRpt");
    private HttpClient? ownedHttp;
    private object? ownedHttpLock;

    public void Dispose() => ownedHttp?.Dispose();

    /// <summary>
    /// The client HTTPS reports are POSTed with: the options' one, or one of ours made at the first report rather than
    /// with the sender, which a server builds at start (System.Net.Http is 1.2 MiB resident that an idle server need
    /// not map; idle memory, issue #14 item 5).
    /// </summary>
    private HttpClient Http => options.Http ?? LazyInitializer.EnsureInitialized(
        ref ownedHttp, ref ownedHttpLock, () => new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(60) });

    /// <summary>Runs until cancelled: shortly after each UTC midnight, sends the days before it.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var time = options.TimeProvider;
        while (!cancellationToken.IsCancellationRequested)
        {
            var now = time.GetUtcNow();
            // RFC 8460 §4.1 reports whole UTC days; a few minutes' delay lets the last sessions of the day finish.
            var next = new DateTimeOffset(now.UtcDateTime.Date.AddDays(1), TimeSpan.Zero).AddMinutes(5);
            await Task.Delay(next - now, time, cancellationToken).ConfigureAwait(false);
            try
            {
                await SendDueAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "TLS reports could not be sent; the counts are kept for the next run");
            }
        }
    }

    /// <summary>Sends every report for days before today; returns how many reports went out.</summary>
    public async Task<int> SendDueAsync(CancellationToken cancellationToken)
    {
        var today = DateOnly.FromDateTime(options.TimeProvider.GetUtcNow().UtcDateTime);
        var sent = 0;
        foreach (var (day, domain, policies) in collector.TakeBefore(today))
        {
            var txt = await dns.GetTxtAsync("_smtp._tls." + domain, cancellationToken).ConfigureAwait(false);
            if (txt.IsTemporaryFailure)
            {
                collector.Restore(day, domain, policies);
                continue;
            }

            var destinations = ReportDestinations(txt.Records);
            if (destinations.Count == 0)
            {
                continue; // The domain asks for no reports.
            }

            var reportId = string.Create(CultureInfo.InvariantCulture, $"{day:yyyyMMdd}.{domain}.{Guid.NewGuid():N}@{options.HostName}");
            var gzip = TlsReportComposer.Gzip(TlsReportComposer.ToJson(options.Organization, options.Contact, reportId, day, domain, policies));
            foreach (var destination in destinations)
            {
                if (await SendAsync(destination, day, domain, reportId, gzip, cancellationToken).ConfigureAwait(false))
                {
                    sent++;
                }
            }
        }

        return sent;
    }

    /// <summary>RFC 8460 §3: "v=TLSRPTv1; rua=uri[,uri]"; exactly one such record, else none.</summary>
    internal static IReadOnlyList<Uri> ReportDestinations(IEnumerable<string> txtRecords)
    {
        var records = txtRecords.Where(t => t.StartsWith("v=TLSRPTv1", StringComparison.Ordinal)).ToList();
        if (records.Count != 1)
        {
            return [];
        }

        var rua = records[0].Split(';').Select(f => f.Trim()).FirstOrDefault(f => f.StartsWith("rua=", StringComparison.Ordinal));
        return rua is null
            ? []
            : rua[4..].Split(',').Select(u => Uri.TryCreate(u.Trim(), UriKind.Absolute, out var uri) ? uri : null)
                .OfType<Uri>().Where(u => u.Scheme is "mailto" or "https").ToList();
    }

    private async Task<bool> SendAsync(Uri destination, DateOnly day, string domain, string reportId, byte[] gzip, CancellationToken cancellationToken)
    {
        // RFC 8460 §5.1: submitter!policy-domain!begin-timestamp!end-timestamp[!unique-id].json.gz
        var start = new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero).ToUnixTimeSeconds();
        var fileName = string.Create(CultureInfo.InvariantCulture, $"{options.Organization}!{domain}!{start}!{start + 86399}.json.gz");
        try
        {
            if (destination.Scheme == "https")
            {
                using var content = new ByteArrayContent(gzip);
                // RFC 8460 §5.4: POST with the gzip media type.
                content.Headers.ContentType = new MediaTypeHeaderValue("application/tlsrpt+gzip");
                using var response = await Http.PostAsync(destination, content, cancellationToken).ConfigureAwait(false);
                response.EnsureSuccessStatusCode();
            }
            else
            {
                // .NET parses mailto:a@b as user info and host; the address is what follows the scheme (RFC 6068).
                var to = EmailAddress.Parse(Uri.UnescapeDataString(destination.OriginalString["mailto:".Length..].Split('?')[0]));
                var message = Compose(to, domain, reportId, fileName, gzip);
                using var buffer = new MemoryStream();
                var format = FormatOptions.Default.Clone();
                format.NewLineFormat = NewLineFormat.Dos;
                await message.WriteToAsync(format, buffer, cancellationToken).ConfigureAwait(false);
                buffer.Position = 0;
                // A null reverse-path, as for DSNs (RFC 5321 §4.5.5): a report that cannot be delivered causes no more mail.
                await queue.EnqueueAsync(new QueueEnvelope(null, [to]), buffer, cancellationToken).ConfigureAwait(false);
            }

            logger.LogInformation("TLS report {ReportId} for {Domain} ({Day}) sent to {Destination}", reportId, domain, day, destination);
            return true;
        }
        catch (Exception e) when (e is HttpRequestException or FormatException or ArgumentException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning(e, "TLS report {ReportId} for {Domain} could not be sent to {Destination}", reportId, domain, destination);
            return false;
        }
    }

    private MimeMessage Compose(EmailAddress to, string domain, string reportId, string fileName, byte[] gzip)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(options.Contact));
        message.To.Add(new MailboxAddress("", to.ToString()));
        // RFC 8460 §5.3: the subject names domain, submitter and report id; two headers repeat them.
        message.Subject = $"Report Domain: {domain} Submitter: {options.Organization} Report-ID: <{reportId}>";
        message.Headers.Add("TLS-Report-Domain", domain);
        message.Headers.Add("TLS-Report-Submitter", options.Organization);
        message.MessageId = reportId;
        message.Date = options.TimeProvider.GetUtcNow();
        var report = new MultipartReport("tlsrpt")
        {
            new TextPart("plain") { Text = $"This is an aggregate TLS report (RFC 8460) for {domain} from {options.Organization}." },
            new MimePart("application", "tlsrpt+gzip")
            {
                Content = new MimeContent(new MemoryStream(gzip)),
                ContentTransferEncoding = ContentEncoding.Base64,
                FileName = fileName,
            },
        };
        message.Body = report;
        return message;
    }
}
