using Keypost.Client.Reading;
using Keypost.Core.Addresses;
using Keypost.Testing.PgpMime;
using MimeKit;

namespace Keypost.Client.Tests.Reading;

/// <summary>
/// Issue #10: each message of the hostile mailbox gets its own state; no message affects the reading of another.
/// (The same mailbox is read over IMAP from a real server in Keypost.Interop.Tests/Reading.)
/// </summary>
public sealed class HostileMailboxReadingTests
{
    private static readonly Lazy<HostileMailbox> Mailbox = new(() => new HostileMailbox(Crafted.Key(HostileMailbox.Luke)));

    public static TheoryData<string> Kinds() => [.. Mailbox.Value.Cases.Select(c => c.Kind)];

    [Fact]
    public void The_mailbox_holds_31_hostile_kinds_and_valid_ones()
    {
        Assert.Equal(31, Mailbox.Value.Cases.Count(c => c.IsHostile));
        Assert.True(Mailbox.Value.Cases.Count(c => !c.IsHostile) >= 5);
        Assert.Equal(Mailbox.Value.Cases.Count, Mailbox.Value.Cases.Select(c => c.Kind).Distinct().Count());
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Each_message_gets_its_own_state_and_a_refused_one_shows_nothing(string kind)
    {
        var mailbox = Mailbox.Value;
        var test = mailbox.Cases.Single(c => c.Kind == kind);

        var read = await ReaderFor(mailbox).EvaluateAsync(Reload(test.Message), new MessageLocation("INBOX", 1, 1), 0, mayLookUp: false, CancellationToken.None);

        Assert.True(test.ExpectedState == read.State.ToString(), $"{kind}: {read.State} ({read.Explanation})");
        if (test.ExpectedRefusal is { } refusal)
        {
            Assert.Equal(refusal, read.Refusal?.ToString());
        }

        if (test.MustNotShow is { } secret)
        {
            Assert.DoesNotContain(secret, read.Text, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, read.Explanation, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, read.DisplaySubject, StringComparison.Ordinal);
        }

        Assert.DoesNotContain(read.DisplaySubject, char.IsControl);
        Assert.DoesNotContain(read.DisplayFrom, char.IsControl);
        Assert.DoesNotContain(read.Explanation, char.IsControl);
        Assert.All(read.Result?.Attachments ?? [], a => Assert.DoesNotContain(a.DisplayFileName, c => char.IsControl(c) || c == '\u202e'));
    }

    [Fact]
    public async Task Valid_messages_read_the_same_with_every_hostile_one_read_in_between()
    {
        var mailbox = Mailbox.Value;
        var reader = ReaderFor(mailbox);
        var results = new List<ReadMessage>();
        foreach (var test in mailbox.Cases)
        {
            results.Add(await reader.EvaluateAsync(Reload(test.Message), new MessageLocation("INBOX", 1, (uint)results.Count + 1), 0, false, CancellationToken.None));
        }

        var valid = results.Where((r, i) => !mailbox.Cases[i].IsHostile).ToList();
        Assert.All(valid, r => Assert.NotEqual(ReadState.Refused, r.State));
        Assert.Equal("Death Star plans", valid[0].DisplaySubject);
        Assert.Contains(HostileMailbox.Secret, valid[0].Text, StringComparison.Ordinal);
        Assert.Equal("Rendezvous on Hoth", results[mailbox.Cases.ToList().FindIndex(c => c.Kind == "valid-thunderbird-protected-headers-v1")].DisplaySubject);
    }

    [Fact]
    public async Task Stray_application_pgp_encrypted_ciphertext_is_an_attachment_with_a_warning_and_never_decrypted()
    {
        var mailbox = Mailbox.Value;
        var test = mailbox.Cases.Single(c => c.Kind == "stray-application-pgp-encrypted-part");

        var read = await ReaderFor(mailbox).EvaluateAsync(Reload(test.Message), new MessageLocation("INBOX", 1, 1), 0, false, CancellationToken.None);

        var attachment = Assert.Single(read.Result!.Attachments);
        Assert.True(attachment.IsOpenPgpData);
        Assert.Equal("application/pgp-encrypted", attachment.ContentType);
        Assert.Contains(read.Result.Warnings, w => w.Contains("not decrypted", StringComparison.Ordinal));
        Assert.False(read.Result.Encryption.IsEncrypted);
    }

    private static MailReader ReaderFor(HostileMailbox mailbox)
    {
        var known = KnownSignerKeys.InMemory();
        known.RecordLookupAsync(EmailAddress.Parse(HostileMailbox.Leia), DateTimeOffset.UtcNow, mailbox.LeiaKey.Certificate, CancellationToken.None).GetAwaiter().GetResult();
        known.RecordLookupAsync(EmailAddress.Parse("vader@empire.test"), DateTimeOffset.UtcNow, mailbox.VaderKey.Certificate, CancellationToken.None).GetAwaiter().GetResult();
        return new MailReader(
            mailbox.LukeKey.Unlock(""),
            new MailServerConnection("unused.invalid", 0, 0, HostileMailbox.Luke, ""),
            new SignerKeys(known, null, null, TimeProvider.System));
    }

    private static MimeMessage Reload(MimeMessage message) => Crafted.Reload(message);
}
