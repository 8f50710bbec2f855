using Keypost.Client.Sending;
using Keypost.Core.Policy;
using Keypost.Interop.Tests.GnuPG;
using Keypost.Testing;
using MimeKit;

namespace Keypost.Interop.Tests.EndToEnd;

/// <summary>
/// The message Leia's Keypost client sent, as jedi.test stored it, opened by GnuPG with Luke's secret key:
/// another implementation decrypts it and finds Leia's good signature inside.
/// </summary>
public sealed class GpgReadsKeypostMailTests
{
    [ToolFact("gpg")]
    public async Task GnuPG_decrypts_the_stored_message_and_finds_Leias_good_signature()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var cancellationToken = timeout.Token;
        await using var story = await TwoDomainStory.StartAsync(throughRelay: false, cancellationToken);
        const string Body = "Help me, Obi-Wan Kenobi. You're my only hope.";
        var sent = await story.LeiaSender(TwoDomainStory.Require("jedi.test"))
            .SendAsync(new OutgoingMessage(TwoDomainStory.Leia.ToString(), [TwoDomainStory.Luke.ToString()], "A message for you", Body), cancellationToken);
        Assert.Equal(SendMode.Encrypt, sent.Mode);
        var stored = Assert.Single(await TwoDomainStory.WaitForMailAsync(story.Jedi.MaildirOf(TwoDomainStory.Luke), 1, cancellationToken));
        var ciphertext = MimeInspection.EncryptedPart(await MimeMessage.LoadAsync(stored, cancellationToken));

        await using var gpg = new GpgHome();
        await gpg.ImportAsync(System.Text.Encoding.ASCII.GetBytes(story.LukeKey.ToArmored()), "--passphrase", TwoDomainStory.LukePassword);
        await gpg.ImportAsync(story.LeiaKey.Certificate.ToBinary());
        var input = gpg.PathOf("message.asc");
        var output = gpg.PathOf("message.mime");
        await File.WriteAllBytesAsync(input, ciphertext, cancellationToken);

        var result = await gpg.GpgAsync("--passphrase", TwoDomainStory.LukePassword, "--status-fd", "1", "--output", output, "--decrypt", input);

        Assert.Contains("[GNUPG:] DECRYPTION_OKAY", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("[GNUPG:] GOODSIG " + story.LeiaKey.Certificate.Fingerprint[^16..], result.StandardOutput, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("[GNUPG:] VALIDSIG", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains(story.LeiaKey.Fingerprint, result.StandardOutput, StringComparison.OrdinalIgnoreCase);
        var decrypted = await MimeEntity.LoadAsync(output, cancellationToken);
        var text = decrypted is Multipart multipart ? multipart.OfType<TextPart>().First() : Assert.IsType<TextPart>(decrypted);
        Assert.Contains(Body, text.Text, StringComparison.Ordinal);
    }
}
