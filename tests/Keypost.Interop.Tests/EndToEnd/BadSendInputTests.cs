using Keypost.Client.Sending;
using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;
using Keypost.Core.Policy;

namespace Keypost.Interop.Tests.EndToEnd;

/// <summary>
/// A recipient without a key, and a secret key that will not unlock: each stops (or downgrades) the send with
/// a message that names the problem, and nothing half-encrypted leaves Leia's machine.
/// </summary>
public sealed class BadSendInputTests
{
    private static readonly EmailAddress Han = EmailAddress.Parse("han@jedi.test");

    [Fact]
    public async Task A_recipient_without_a_key_is_refused_under_require_and_sent_sign_only_under_opportunistic()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var cancellationToken = timeout.Token;
        await using var story = await TwoDomainStory.StartAsync(throughRelay: false, cancellationToken);
        await story.Jedi.AddAccountAsync(Han, "han-password", cancellationToken);
        var message = new OutgoingMessage(TwoDomainStory.Leia.ToString(), [Han.ToString()], "Kessel run", "Twelve parsecs, allegedly.");

        var refused = await Assert.ThrowsAsync<SendRefusedException>(() =>
            story.LeiaSender(TwoDomainStory.Require("jedi.test")).SendAsync(message, cancellationToken));
        Assert.Contains("han@jedi.test", refused.Message, StringComparison.Ordinal);
        Assert.Empty(await story.Rebel.Server.Mail!.Queue.ListAsync(cancellationToken));
        Assert.Empty(TwoDomainStory.MailIn(story.Jedi.MaildirOf(Han)));

        var sent = await story.LeiaSender(TwoDomainStory.Opportunistic()).SendAsync(message, cancellationToken);
        Assert.Equal(SendMode.SignOnly, sent.Mode);
        Assert.Contains("han@jedi.test", sent.Reason, StringComparison.Ordinal);
        var stored = Assert.Single(await TwoDomainStory.WaitForMailAsync(story.Jedi.MaildirOf(Han), 1, cancellationToken));
        var text = await File.ReadAllTextAsync(stored, cancellationToken);
        Assert.Contains("Twelve parsecs", text, StringComparison.Ordinal);
        Assert.DoesNotContain("BEGIN PGP MESSAGE", text, StringComparison.Ordinal);
        Assert.Contains("multipart/signed", text, StringComparison.Ordinal);
        Assert.Contains("application/pgp-signature", text, StringComparison.Ordinal);
        var read = new Keypost.Core.PgpMime.PgpMimeReader().Read(
            MimeKit.MimeMessage.Load(stored),
            [],
            id => story.LeiaKey.Certificate.KeyId == id || story.LeiaKey.Certificate.Subkeys.Any(k => k.KeyId == id) ? story.LeiaKey.Certificate : null);
        Assert.True(read.Signature.IsValid, read.Signature.Reason);
    }

    [Fact]
    public async Task A_wrong_passphrase_fails_before_anything_is_sent()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var cancellationToken = timeout.Token;
        await using var story = await TwoDomainStory.StartAsync(throughRelay: false, cancellationToken);

        var error = Assert.Throws<OpenPgpException>(() =>
            new MailSender(story.DiscoveryFor("leia"), TwoDomainStory.Require("jedi.test"), story.LeiaKey.Unlock("not Leia's passphrase"), story.LeiaConnection, TimeProvider.System));
        Assert.Equal(OpenPgpError.WrongPassphrase, error.Error);
        Assert.Contains(story.LeiaKey.Fingerprint, error.Message, StringComparison.Ordinal);
        Assert.Empty(await story.Rebel.Server.Mail!.Queue.ListAsync(cancellationToken));
        Assert.Empty(TwoDomainStory.MailIn(story.Jedi.MaildirOf(TwoDomainStory.Luke)));
    }
}
