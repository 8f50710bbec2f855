using System.Globalization;
using System.Text;
using Keypost.Core.Addresses;
using Keypost.Mail.Queue;
using MimeKit;
using MimeKit.Utils;

namespace Keypost.Mail.Delivery;

/// <summary>
/// Builds a non-delivery report (RFC 3464): multipart/report; report-type=delivery-status (RFC 6522) with a
/// human-readable part, message/delivery-status and the original's headers as text/rfc822-headers.
/// </summary>
internal sealed class DsnComposer
{
    private const int MaxHeaderBytes = 64 * 1024;

    private readonly string localDomain;

    public DsnComposer(string localDomain)
    {
        this.localDomain = localDomain;
    }

    public async Task<MimeMessage> ComposeAsync(QueuedMessage original, EmailAddress to, IReadOnlyList<(QueuedRecipient Recipient, DeliveryResult Result)> failures, Stream originalData, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var report = new MultipartReport("delivery-status");
        report.Add(new TextPart("plain") { Text = HumanText(failures) });
        report.Add(StatusPart(original, failures, now));
        report.Add(await HeadersPartAsync(originalData, cancellationToken).ConfigureAwait(false));

        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("Mail Delivery System", "MAILER-DAEMON@" + localDomain));
        message.To.Add(new MailboxAddress("", to.ToString()));
        message.Subject = "Undelivered Mail Returned to Sender";
        message.Date = now;
        message.MessageId = MimeUtils.GenerateMessageId(localDomain);
        // RFC 3834 §5: an automatic reply, so no one auto-replies to it in turn.
        message.Headers.Add("Auto-Submitted", "auto-replied");
        message.Body = report;
        return message;
    }

    private string HumanText(IReadOnlyList<(QueuedRecipient Recipient, DeliveryResult Result)> failures)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"This is the mail system at {localDomain}.\r\n\r\n");
        text.Append("Your message could not be delivered to the following recipients:\r\n\r\n");
        foreach (var (recipient, result) in failures)
        {
            text.Append(CultureInfo.InvariantCulture, $"  <{recipient.Address}>: {result.Diagnostic}\r\n");
        }

        return text.ToString();
    }

    private MessageDeliveryStatus StatusPart(QueuedMessage original, IReadOnlyList<(QueuedRecipient Recipient, DeliveryResult Result)> failures, DateTimeOffset now)
    {
        var status = new MessageDeliveryStatus();
        // RFC 3464 §2.2: per-message fields first.
        status.StatusGroups.Add(new HeaderList
        {
            { "Reporting-MTA", "dns; " + localDomain },
            { "X-Keypost-Queue-ID", original.Id },
            { "Arrival-Date", DateUtils.FormatDate(original.Created) },
        });
        foreach (var (recipient, result) in failures)
        {
            // RFC 3464 §2.3: per-recipient fields; RFC 6533 §3 "utf-8" address type for non-ASCII addresses.
            var addressType = recipient.Address.IsInternational ? "utf-8" : "rfc822";
            var group = new HeaderList
            {
                { "Final-Recipient", $"{addressType}; {recipient.Address}" },
                { "Action", "failed" },
                { "Status", result.Status },
            };
            if (result.RemoteMta is not null)
            {
                group.Add("Remote-MTA", result.RemoteMta);
            }

            group.Add("Diagnostic-Code", result.Diagnostic);
            group.Add("Last-Attempt-Date", DateUtils.FormatDate(now));
            status.StatusGroups.Add(group);
        }

        return status;
    }

    private static async Task<TextRfc822Headers> HeadersPartAsync(Stream originalData, CancellationToken cancellationToken)
    {
        // RFC 3462 §3: the original's header section only, so a DSN does not carry the whole message back.
        var buffer = new byte[MaxHeaderBytes];
        var length = await originalData.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        using var head = new MemoryStream(buffer, 0, length);
        var headers = await HeaderList.LoadAsync(ParserOptions.Default, head, cancellationToken).ConfigureAwait(false);
        var part = new TextRfc822Headers();
        var message = new MimeMessage();
        message.Headers.Clear();
        foreach (var header in headers)
        {
            message.Headers.Add(header);
        }

        part.Message = message;
        return part;
    }
}
