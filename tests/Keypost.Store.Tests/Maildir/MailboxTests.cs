using System.Text;
using Keypost.Core.Addresses;
using Keypost.Store.Maildir;
using Keypost.Testing;

namespace Keypost.Store.Tests.Maildir;

/// <summary>What only Maildir does: files other programs drop in; the rest of the store contract is in Contract/.</summary>
public sealed class MailboxTests
{
    private static readonly EmailAddress Luke = EmailAddress.Parse("luke@jedi.test");

    // A guard against a hang, not a timing assertion: a missed notification fails instead of blocking the run.
    private static CancellationToken Guard() => new CancellationTokenSource(TimeSpan.FromMinutes(1)).Token;

    private static MemoryStream Message(string subject) => new(Encoding.UTF8.GetBytes($"Subject: {subject}\r\n\r\nbody\r\n"));

    [Fact]
    public async Task A_file_another_program_drops_into_new_wakes_a_waiter()
    {
        using var dir = new TempDirectory();
        using var store = new MaildirStore(dir.Path);
        var inbox = store.OpenAccount(Luke).Get("INBOX");
        await inbox.SnapshotAsync(CancellationToken.None);

        var seen = inbox.Version;
        var waiting = inbox.WaitForChangeAsync(seen, Guard());
        var maildir = store.GetMaildirPath(Luke);
        await File.WriteAllTextAsync(Path.Combine(maildir, "tmp", "1700000000.M1P1.elsewhere"), "Subject: outside\r\n\r\nx\r\n");
        File.Move(Path.Combine(maildir, "tmp", "1700000000.M1P1.elsewhere"), Path.Combine(maildir, "new", "1700000000.M1P1.elsewhere"));
        await waiting;

        var entry = Assert.Single((await inbox.SnapshotAsync(CancellationToken.None)).Messages);
        Assert.Equal(1u, entry.Uid);
    }

    [Fact]
    public void Mailbox_names_keep_to_the_rules()
    {
        Assert.Equal("INBOX", MailboxNames.Normalize("inbox"));
        Assert.Equal("Archive.2024", MailboxNames.Normalize("Archive.2024."));
        Assert.Null(MailboxNames.Normalize("../etc"));
        Assert.Null(MailboxNames.Normalize(".hidden"));
        Assert.True(MailboxNames.IsDeliveryFolder("Junk"));
        Assert.False(MailboxNames.IsDeliveryFolder("Junk.Sub"));
    }
}
