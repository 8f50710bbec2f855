using System.Text;
using Keypost.Mail.Diagnostics;
using Keypost.Store.Maildir;
using Keypost.Mail.Queue;
using Keypost.Store;

namespace Keypost.Mail.Delivery;

/// <summary>Delivers to this server's own accounts: straight into their Maildirs, no network hop.</summary>
internal sealed class LocalDelivery
{
    private readonly MaildirStore maildir;
    private readonly IMailAccounts accounts;
    private readonly string localDomain;
    private readonly MailMetrics? metrics;
    private readonly TimeProvider time;

    public LocalDelivery(MaildirStore maildir, IMailAccounts accounts, string localDomain, MailMetrics? metrics = null, TimeProvider? time = null)
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
        var folder = await FolderAsync(openData, cancellationToken).ConfigureAwait(false);
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

    // Only the very first line counts: our intake puts the folder header there after removing every copy the
    // sender wrote, so a header anywhere else (or a name that is not a plain folder name) is ignored.
    private static async Task<string?> FolderAsync(Func<Stream> openData, CancellationToken cancellationToken)
    {
        var buffer = new byte[128];
        int length;
        await using (var data = openData())
        {
            length = await data.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        }

        var start = Encoding.ASCII.GetString(buffer, 0, length);
        var prefix = MaildirStore.FolderHeader + ": ";
        var end = start.IndexOf("\r\n", StringComparison.Ordinal);
        if (!start.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) || end < 0)
        {
            return null;
        }

        var name = start[prefix.Length..end];
        return MaildirStore.IsSimpleFolderName(name) ? name : null;
    }
}
