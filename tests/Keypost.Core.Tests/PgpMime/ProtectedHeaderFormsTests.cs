using Keypost.Core.OpenPgp;
using Keypost.Core.PgpMime;
using Keypost.Testing.PgpMime;
using MimeKit;

namespace Keypost.Core.Tests.PgpMime;

/// <summary>
/// Issue #18: both protected-header markers are written, and either one alone is read: RFC 9788's hp="cipher",
/// and protected-headers="v1" as Thunderbird and Enigmail write it.
/// </summary>
public sealed class ProtectedHeaderFormsTests
{
    private readonly SecretKey leia = Crafted.Key("leia@rebels.test");
    private readonly SecretKey luke = Crafted.Key("luke@jedi.test");

    [Fact]
    public void Composer_writes_hp_cipher_and_protected_headers_v1_on_the_inner_root_and_obscures_the_outer_subject()
    {
        var composed = new PgpMimeComposer().Compose(
            Crafted.Letter("Leia <leia@rebels.test>", "Luke <luke@jedi.test>", "Death Star plans", "the port"),
            leia.Unlock(""),
            [luke.Certificate]);

        var result = new PgpMimeReader().Read(Crafted.Reload(composed), [luke.Unlock("")], Crafted.Finder(leia));

        Assert.Equal("[...]", composed.Subject);
        var root = result.Body!;
        Assert.Equal("cipher", root.ContentType.Parameters["hp"]);
        Assert.Equal("v1", root.ContentType.Parameters["protected-headers"]);
        Assert.Equal("Death Star plans", root.Headers[HeaderId.Subject]);
        Assert.Contains("leia@rebels.test", root.Headers[HeaderId.From], StringComparison.Ordinal);
        Assert.Contains("luke@jedi.test", root.Headers[HeaderId.To], StringComparison.Ordinal);
    }

    [Fact]
    public void Encrypt_only_composition_the_gateway_uses_writes_the_same_markers()
    {
        var composed = new PgpMimeComposer().ComposeEncryptOnly(
            Crafted.Letter("leia@rebels.test", "luke@jedi.test", "Gateway plans", "the port"), [luke.Certificate]);

        var result = new PgpMimeReader().Read(Crafted.Reload(composed), [luke.Unlock("")], Crafted.Finder(leia));

        Assert.Equal("cipher", result.Body!.ContentType.Parameters["hp"]);
        Assert.Equal("v1", result.Body.ContentType.Parameters["protected-headers"]);
        Assert.Equal("Gateway plans", result.Subject);
    }

    [Fact]
    public void Thunderbird_message_with_protected_headers_v1_only_shows_its_real_subject_and_verifies()
    {
        var message = ThunderbirdMail.Message(leia, luke.Certificate, "leia@rebels.test", "luke@jedi.test", "Rendezvous on Hoth", "Bring a coat.");

        var result = new PgpMimeReader().Read(Crafted.Reload(message), [luke.Unlock("")], Crafted.Finder(leia));

        Assert.Equal("...", message.Subject);
        Assert.True(result.HeadersProtected);
        Assert.Equal("Rendezvous on Hoth", result.Subject);
        Assert.Equal(PgpMimeSignatureStatus.Valid, result.Signature.Status);
        // Thunderbird writes no Date inside: the outer one fills in.
        Assert.Equal(Crafted.Reload(message).Date, result.Date);
    }

    [Fact]
    public void Inner_root_with_hp_cipher_only_shows_its_real_subject()
    {
        var message = ThunderbirdMail.Message(leia, luke.Certificate, "leia@rebels.test", "luke@jedi.test", "RFC 9788 only", "text", marker: "hp=\"cipher\"");

        var result = new PgpMimeReader().Read(Crafted.Reload(message), [luke.Unlock("")], Crafted.Finder(leia));

        Assert.True(result.HeadersProtected);
        Assert.Equal("RFC 9788 only", result.Subject);
    }

    [Fact]
    public void Inner_root_without_a_marker_is_not_taken_for_protected_headers()
    {
        var message = ThunderbirdMail.Message(leia, luke.Certificate, "leia@rebels.test", "luke@jedi.test", "Unmarked", "text", marker: null);

        var result = new PgpMimeReader().Read(Crafted.Reload(message), [luke.Unlock("")], Crafted.Finder(leia));

        Assert.False(result.HeadersProtected);
        Assert.Equal("...", result.Subject);
    }
}
