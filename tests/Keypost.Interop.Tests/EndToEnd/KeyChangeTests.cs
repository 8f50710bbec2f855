using Keypost.Client.Contacts;
using Keypost.Client.Discovery;
using Keypost.Client.Sending;
using Keypost.Core.OpenPgp;
using Keypost.Core.PgpMime;
using Keypost.Core.Policy;
using MimeKit;

namespace Keypost.Interop.Tests.EndToEnd;

/// <summary>
/// After Leia has pinned Luke's key, jedi.test starts serving another one (a compromised directory, or Luke's
/// new key). Her next send is refused before anything is submitted, naming both fingerprints; with the Warn
/// policy it goes out to the new key and says so.
/// </summary>
public sealed class KeyChangeTests
{
    [Fact]
    public async Task A_changed_key_is_refused_naming_both_fingerprints_and_nothing_is_submitted()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var cancellationToken = timeout.Token;
        await using var story = await TwoDomainStory.StartAsync(throughRelay: false, cancellationToken);
        var lukeMaildir = story.Jedi.MaildirOf(TwoDomainStory.Luke);
        var message = new OutgoingMessage(TwoDomainStory.Leia.ToString(), [TwoDomainStory.Luke.ToString()], "first", "pinned now");

        var first = await story.LeiaSender(TwoDomainStory.Require("jedi.test")).SendAsync(message, cancellationToken);
        Assert.Equal(PinOutcome.New, first.Recipients[0].Pin!.Outcome);
        await TwoDomainStory.WaitForMailAsync(lukeMaildir, 1, cancellationToken);
        Assert.Empty(await story.Rebel.Server.Mail!.Queue.ListAsync(cancellationToken));

        var newKey = new KeyGenerator().Generate(new KeyGenerationRequest(TwoDomainStory.Luke) { DisplayName = "Luke (not really)", Passphrase = "x" });
        await story.PublishAsync(story.Jedi, newKey.Certificate, cancellationToken);

        var refused = await Assert.ThrowsAsync<SendRefusedException>(() =>
            story.LeiaSender(TwoDomainStory.Require("jedi.test")).SendAsync(message with { Subject = "second" }, cancellationToken));
        Assert.Contains(story.LukeKey.Fingerprint, refused.Message, StringComparison.Ordinal);
        Assert.Contains(newKey.Fingerprint, refused.Message, StringComparison.Ordinal);
        Assert.Contains("luke@jedi.test", refused.Message, StringComparison.Ordinal);
        Assert.Empty(await story.Rebel.Server.Mail.Queue.ListAsync(cancellationToken));

        // Under Warn the send goes out to the new key, and the explanation shows both fingerprints.
        var warned = await story.LeiaSender(TwoDomainStory.Require("jedi.test"), KeyChangePolicy.Warn)
            .SendAsync(message with { Subject = "third" }, cancellationToken);
        Assert.Equal(SendMode.Encrypt, warned.Mode);
        var recipient = Assert.Single(warned.Recipients);
        Assert.Equal(PinOutcome.Changed, recipient.Pin!.Outcome);
        Assert.Contains(story.LukeKey.Fingerprint, recipient.Explanation, StringComparison.Ordinal);
        Assert.Contains(newKey.Fingerprint, recipient.Explanation, StringComparison.Ordinal);

        // Luke's mailbox holds exactly the first and the third message: the refused one never left Leia's machine.
        var files = await TwoDomainStory.WaitForMailAsync(lukeMaildir, 2, cancellationToken);
        var stored = new List<MimeMessage>();
        foreach (var file in files)
        {
            stored.Add(await MimeMessage.LoadAsync(file, cancellationToken));
        }

        Assert.Equal(
            new[] { first.MessageId, warned.MessageId }.Order(StringComparer.Ordinal),
            stored.Select(m => m.MessageId).Order(StringComparer.Ordinal));
        var third = stored.Single(m => m.MessageId == warned.MessageId);
        var decrypted = new PgpMimeReader().Read(third, [newKey.Unlock("x")], _ => null);
        Assert.Equal("third", decrypted.Subject);
        Assert.Throws<OpenPgpException>(() => new PgpMimeReader().Read(third, [story.LukeKey.Unlock(TwoDomainStory.LukePassword)], _ => null));
    }
}
