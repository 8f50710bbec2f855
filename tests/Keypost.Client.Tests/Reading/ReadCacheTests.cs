using System.Text;
using Keypost.Client.Reading;
using Keypost.Core.Addresses;
using Keypost.Core.PgpMime;
using Keypost.Testing;
using Keypost.Testing.PgpMime;

namespace Keypost.Client.Tests.Reading;

/// <summary>Issue #10: the listing's cache is encrypted to the user's key; nothing of it is plaintext on disk.</summary>
public sealed class ReadCacheTests : IDisposable
{
    private readonly TempDirectory _home = new("keypost-read-cache");

    [Fact]
    public async Task Verdicts_come_back_for_the_same_uidvalidity_only_and_the_file_holds_no_plaintext()
    {
        var mailbox = new HostileMailbox(Crafted.Key(HostileMailbox.Luke));
        var known = KnownSignerKeys.InMemory();
        await known.RecordLookupAsync(EmailAddress.Parse(HostileMailbox.Leia), DateTimeOffset.UtcNow, mailbox.LeiaKey.Certificate, CancellationToken.None);
        var reader = new MailReader(mailbox.LukeKey.Unlock(""), new MailServerConnection("unused.invalid", 0, 0, HostileMailbox.Luke, ""), new SignerKeys(known, null, null, TimeProvider.System));
        var read = new List<ReadMessage>();
        foreach (var (test, i) in mailbox.Cases.Select((c, i) => (c, i)))
        {
            read.Add(await reader.EvaluateAsync(Crafted.Reload(test.Message), new MessageLocation("INBOX", 7, (uint)i + 1), 100, false, CancellationToken.None));
        }

        var cache = new ReadCache(_home.Combine("read-cache"), mailbox.LukeKey.Unlock(""));
        await cache.SaveAsync("INBOX", 7, read, CancellationToken.None);
        var loaded = await cache.LoadAsync("INBOX", 7, CancellationToken.None);
        var stale = await cache.LoadAsync("INBOX", 8, CancellationToken.None);

        var onDisk = string.Concat(System.IO.Directory.GetFiles(_home.Combine("read-cache")).Select(f => Encoding.UTF8.GetString(File.ReadAllBytes(f))));
        Assert.Contains("-----BEGIN PGP MESSAGE-----", onDisk, StringComparison.Ordinal);
        Assert.DoesNotContain("Death Star plans", onDisk, StringComparison.Ordinal);
        Assert.DoesNotContain("Rendezvous on Hoth", onDisk, StringComparison.Ordinal);
        Assert.DoesNotContain("leia@rebel.test", onDisk, StringComparison.Ordinal);
        Assert.Empty(stale);
        var valid = loaded[1];
        Assert.Equal(ReadState.EncryptedAndVerified, valid.State);
        Assert.Equal("Death Star plans", valid.DisplaySubject);
        Assert.True(valid.Encrypted);
        Assert.Equal(PgpMimeSignatureStatus.Valid, valid.Signature!.Status);
        Assert.All(loaded.Values, m => Assert.Equal(read[(int)m.Uid - 1].State, m.State));
        // Unknown signers are not kept: a later lookup may verify them.
        Assert.DoesNotContain(loaded.Values, m => m.Signature?.Status == PgpMimeSignatureStatus.UnknownSigner);
        Assert.Contains(loaded.Values, m => m.State == ReadState.Refused && m.Refusal == RefusalReason.Altered);
    }

    public void Dispose() => _home.Dispose();
}
