using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;
using Keypost.Core.PgpMime;
using MimeKit;

namespace Keypost.Core.Tests.PgpMime;

public sealed class PgpMimeSignerTests
{
    [Fact]
    public void Signed_only_mail_round_trips_through_the_wire_format_and_verifies()
    {
        var leia = new KeyGenerator().Generate(new KeyGenerationRequest(EmailAddress.Parse("leia@rebel.test")));
        var luke = new KeyGenerator().Generate(new KeyGenerationRequest(EmailAddress.Parse("luke@jedi.test")));
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse("leia@rebel.test"));
        message.To.Add(MailboxAddress.Parse("luke@jedi.test"));
        message.Subject = "plain but signed";
        message.Body = new BodyBuilder { TextBody = "Über alles: the plans.\nLine two ends with spaces   " }.ToMessageBody();

        var signed = new PgpMimeSigner().Sign(message, leia.Unlock(""));
        using var wire = new MemoryStream();
        signed.WriteTo(wire);
        var received = MimeMessage.Load(new MemoryStream(wire.ToArray()));

        Assert.Equal("multipart/signed", received.Body!.ContentType.MimeType);
        Assert.Equal("pgp-sha512", received.Body.ContentType.Parameters["micalg"]);
        Assert.Equal("plain but signed", received.Subject);
        var result = new PgpMimeReader().Read(received, [luke.Unlock("")], id => id == leia.Certificate.KeyId || leia.Certificate.Subkeys.Any(s => s.KeyId == id) ? leia.Certificate : null);
        Assert.False(result.Encryption.IsEncrypted);
        Assert.True(result.Signature.IsValid, result.Signature.Reason);
        Assert.Equal(leia.Fingerprint, result.Signature.SignerFingerprint);
    }
}
