using System.Globalization;
using Keypost.Directory.Migration;

namespace Keypost.Server.Migration;

/// <summary>What a migration found in the source and how much of it this run copied (the rest was there already).</summary>
public sealed record MigrationSummary(
    IReadOnlyList<TableCopyResult> Tables,
    int DkimKeys,
    int DkimKeysCopied,
    int QueuedMessages,
    int QueuedMessagesCopied,
    int Accounts,
    int Mailboxes,
    long Messages,
    long MessagesCopied)
{
    /// <summary>Rows, keys and messages this run wrote: 0 when a run finds everything in place.</summary>
    public long Copied => Tables.Sum(t => t.Copied) + DkimKeysCopied + QueuedMessagesCopied + MessagesCopied;

    /// <summary>One line for the operator.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"migrated and verified: directory {Tables.Sum(t => t.Rows)} rows in {Tables.Count} tables ({Tables.Sum(t => t.Copied)} copied), " +
        $"{DkimKeys} DKIM keys ({DkimKeysCopied} copied), {QueuedMessages} queued messages ({QueuedMessagesCopied} copied), " +
        $"{Messages} messages in {Mailboxes} mailboxes of {Accounts} accounts ({MessagesCopied} copied); {Copied} copied in all");
}
