using System.Globalization;
using System.Text;
using Keypost.Directory.Monitoring;
using MimeKit;
using MimeKit.Utils;

namespace Keypost.Server.Monitoring;

/// <summary>The mail telling an owner that versions of his binding appeared that he did not make.</summary>
public static class OwnerAlertMail
{
    /// <summary>A header naming the alerted versions, so mail filters and tests need not parse the text.</summary>
    public const string AlertHeader = "X-Keypost-Key-Alert";

    public static MimeMessage Compose(string hostname, IReadOnlyList<BindingAlert> alerts, DateTimeOffset now)
    {
        ArgumentOutOfRangeException.ThrowIfZero(alerts.Count);
        var address = alerts[0].Address;
        var domain = address[(address.LastIndexOf('@') + 1)..];
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"The key directory of {domain} logged a change to the key of {address} that was not made with a key you hold:\r\n\r\n");
        foreach (var alert in alerts)
        {
            text.Append("  ").Append(alert.ToString()).Append("\r\n");
        }

        text.Append("\r\nIf you published this key yourself (for example a new key you asked your administrator to publish), ")
            .Append("nothing is wrong. Otherwise mail sent to you may be encrypted to someone else's key: run `keypost monitor` ")
            .Append("to check the log yourself, and tell your contacts your real fingerprint.\r\n");

        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("Keypost key monitor", "postmaster@" + domain));
        message.To.Add(new MailboxAddress("", address));
        message.Subject = alerts.Count == 1
            ? $"Key alert: version {alerts[0].Version} of {address} is a key you did not make"
            : $"Key alert: {alerts.Count} versions of {address} are keys you did not make";
        message.Date = now;
        message.MessageId = MimeUtils.GenerateMessageId(hostname);
        // RFC 3834 §5: automatically generated, so no one auto-replies to it.
        message.Headers.Add("Auto-Submitted", "auto-generated");
        foreach (var alert in alerts)
        {
            message.Headers.Add(AlertHeader, string.Create(CultureInfo.InvariantCulture, $"version={alert.Version}; epoch={alert.Epoch}; fingerprint={alert.Fingerprint}"));
        }

        message.Body = new TextPart("plain") { Text = text.ToString() };
        return message;
    }
}
