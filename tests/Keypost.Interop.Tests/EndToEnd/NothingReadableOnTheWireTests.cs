using System.Text;
using Keypost.Client.Reading;
using Keypost.Client.Sending;
using Keypost.Core.Policy;

namespace Keypost.Interop.Tests.EndToEnd;

/// <summary>
/// Leia writes to Luke across two domains; the server-to-server hop is stripped of STARTTLS and recorded. The
/// recorded bytes and jedi.test's stored copy show an OpenPGP message and nothing of what Leia wrote; Luke's
/// reader gets the subject and body back, signed by Leia.
/// </summary>
public sealed class NothingReadableOnTheWireTests
{
    private const string Subject = "Rendezvous at the Massassi temple";
    private const string Body = "Bring the thermal detonator codes: vermilion-42-quartz.";

    [Fact]
    public async Task The_wire_and_the_server_see_only_ciphertext_and_Luke_reads_the_original()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var cancellationToken = timeout.Token;
        await using var story = await TwoDomainStory.StartAsync(throughRelay: true, cancellationToken);

        var sent = await story.LeiaSender(TwoDomainStory.Require("jedi.test"))
            .SendAsync(new OutgoingMessage(TwoDomainStory.Leia.ToString(), [TwoDomainStory.Luke.ToString()], Subject, Body), cancellationToken);
        Assert.Equal(SendMode.Encrypt, sent.Mode);
        var stored = Assert.Single(await TwoDomainStory.WaitForMailAsync(story.Jedi.MaildirOf(TwoDomainStory.Luke), 1, cancellationToken));

        // The hop really ran through the relay, in plaintext: STARTTLS was offered, stripped, and never asked for.
        var serverText = Encoding.Latin1.GetString(story.Relay!.ServerBytes);
        var clientBytes = story.Relay.ClientBytes;
        var clientText = Encoding.Latin1.GetString(clientBytes);
        Assert.Contains("STARTTLS", serverText, StringComparison.Ordinal);
        Assert.DoesNotContain("STARTTLS", clientText, StringComparison.Ordinal);
        Assert.Contains("RCPT TO:<luke@jedi.test>", clientText, StringComparison.Ordinal);

        var data = Assert.Single(MimeInspection.DataSections(clientBytes));
        var wireViews = MimeInspection.Views(data);
        Assert.Contains(wireViews, v => v.Contains("-----BEGIN PGP MESSAGE-----", StringComparison.Ordinal));
        AssertNothingReadable([clientText, .. wireViews]);

        var storedViews = MimeInspection.Views(await File.ReadAllBytesAsync(stored, cancellationToken));
        Assert.Contains(storedViews, v => v.Contains("-----BEGIN PGP MESSAGE-----", StringComparison.Ordinal));
        AssertNothingReadable(storedViews);

        var listed = Assert.Single((await story.LukeReader().ListAsync(MailReader.Inbox, null, cancellationToken)).Messages);
        var read = await story.LukeReader().ReadAsync(MailReader.Inbox, listed.Uid, listed.Location.UidValidity, null, cancellationToken);
        Assert.NotNull(read.Result);
        Assert.Equal(Subject, read.Result.Subject);
        Assert.Contains(Body, read.Text, StringComparison.Ordinal);
        Assert.True(read.Result.Encryption.IsIntegrityProtected);
        Assert.True(read.Result.Signature.IsValid, read.Result.Signature.Reason);
        Assert.Equal("leia@rebel.test", read.Result.Signature.SignerAddress);
        Assert.Equal(story.LeiaKey.Fingerprint, read.Result.Signature.SignerFingerprint);
    }

    private static void AssertNothingReadable(IEnumerable<string> views)
    {
        foreach (var view in views)
        {
            Assert.DoesNotContain(Body, view, StringComparison.Ordinal);
            Assert.DoesNotContain(Subject, view, StringComparison.Ordinal);
            Assert.DoesNotContain("thermal detonator", view, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("Massassi", view, StringComparison.OrdinalIgnoreCase);
        }
    }
}
