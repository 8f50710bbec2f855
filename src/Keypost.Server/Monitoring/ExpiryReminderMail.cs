using System.Globalization;
using Keypost.Directory.Lifecycle;
using MimeKit;
using MimeKit.Utils;

namespace Keypost.Server.Monitoring;

/// <summary>The mail telling an owner that his key expires soon, and the one command that renews it.</summary>
public static class ExpiryReminderMail
{
    /// <summary>Names the key and its expiry, so mail filters and tests need not parse the text.</summary>
    public const string ExpiryHeader = "X-Keypost-Key-Expiry";

    public static MimeMessage Compose(string hostname, ExpiryReminder reminder, DateTimeOffset now)
    {
        var domain = reminder.Address[(reminder.Address.LastIndexOf('@') + 1)..];
        var expires = reminder.ExpiresAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);
        var daysLeft = Math.Max(0, (int)Math.Ceiling((reminder.ExpiresAt - now).TotalDays));
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("Keypost key directory", "postmaster@" + domain));
        message.To.Add(new MailboxAddress("", reminder.Address));
        message.Subject = $"Your key for {reminder.Address} expires in {daysLeft} day{(daysLeft == 1 ? "" : "s")}";
        message.Date = now;
        message.MessageId = MimeUtils.GenerateMessageId(hostname);
        // RFC 3834 §5: automatically generated, so no one auto-replies to it.
        message.Headers.Add("Auto-Submitted", "auto-generated");
        message.Headers.Add(ExpiryHeader, string.Create(CultureInfo.InvariantCulture, $"fingerprint={reminder.Fingerprint}; expires={reminder.ExpiresAt.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}; days={reminder.Days}"));
        message.Body = new TextPart("plain")
        {
            Text = $"The key {reminder.Fingerprint} that {domain} serves for {reminder.Address} expires on {expires}.\r\n\r\n"
                + "After that, senders stop encrypting mail to you (they are told the key expired) until you renew it.\r\n"
                + "To renew it, run on the device that holds your key:\r\n\r\n"
                + "  keypost key extend\r\n\r\n"
                + "It extends the key's validity and publishes it; senders pick up the new expiry at their next lookup.\r\n",
        };
        return message;
    }
}
