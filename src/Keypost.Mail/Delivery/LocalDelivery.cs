using System.Text;
using Keypost.Mail.Diagnostics;
using Keypost.Mail.Queue;
using Keypost.Store;

namespace Keypost.Mail.Delivery;

/// <summary>Delivers to this server's own accounts: straight into their Maildirs, no network hop.</summary>
internal sealed class LocalDelivery
{
    private readonly IMailStore maildir;
    private readonly IMailAccounts accounts;
    private readonly string localDomain;
    private readonly MailMetrics? metrics;
    private readonly TimeProvider time;

    public LocalDelivery(IMailStore maildir, IMailAccounts accounts, string localDomain, MailMetrics? metrics = null, TimeProvider? time = null)
    {
        this.maildir = maildir;
        this.accounts = accounts;
        this.localDomain = localDomain;
        this.metrics = metrics;
        this.time = time ?? TimeProvider.System;
    }

    public async Task<IReadOnlyList<DeliveryResult>> DeliverAsync(DeliveryItem item, Func<Stream> openData, CancellationToken cancellationToken)
    {
        // RFC 5321 §4.4: the delivering MTA records the reverse-path in a Return-Path header.
        var returnPath = Encoding.UTF8.GetBytes($"Return-Path: <{item.Message.ReversePath}>\r\n");
        // Intake's folder choice (e.g. Junk) travels as queue metadata, never as a header in the message.
        var folder = item.Message.Folder;
        var results = new List<DeliveryResult>();
        foreach (var recipient in item.Recipients)
        {
            if (!await accounts.AccountExistsAsync(recipient.Address, cancellationToken).ConfigureAwait(false))
            {
                results.Add(DeliveryResult.FromReply(recipient.Index, 550, "5.1.1 no such mailbox here", "dns; " + localDomain));
                continue;
            }

            var started = time.GetTimestamp();
            try
            {
                await using var data = openData();
                await maildir.DeliverAsync(recipient.Address, folder, returnPath, data, cancellationToken).ConfigureAwait(false);
                metrics?.StoreWrite(time.GetElapsedTime(started), success: true);
                results.Add(DeliveryResult.Delivered(recipient.Index, "dns; " + localDomain));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                metrics?.StoreWrite(time.GetElapsedTime(started), success: false);
                results.Add(DeliveryResult.Temporary(recipient.Index, "4.3.0", $"local delivery failed: {e.Message}"));
            }
        }

        return results;
    }
}
