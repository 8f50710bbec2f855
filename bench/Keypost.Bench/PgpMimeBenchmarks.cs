using BenchmarkDotNet.Attributes;
using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;
using Keypost.Core.PgpMime;
using MimeKit;

namespace Keypost.Bench;

/// <summary>
/// PGP/MIME encrypt+sign (Leia to Luke and herself) and decrypt+verify (Luke) of text messages of 10 KB, 1 MB
/// and 100 MB. The body is base64 of random bytes, the same kind of data bench/pgp/run.sh gives gpg.
/// </summary>
[MemoryDiagnoser]
public class PgpMimeBenchmarks
{
    private UnlockedSecretKey leia = null!;
    private UnlockedSecretKey luke = null!;
    private Certificate[] recipients = [];
    private MimeMessage plain = null!;
    private MimeMessage encrypted = null!;
    private PgpMimeReader reader = null!;

    [Params(10 * 1024, 1024 * 1024, 100 * 1024 * 1024)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        leia = new KeyGenerator().Generate(new KeyGenerationRequest(EmailAddress.Parse("leia@rebel.test"))).Unlock("");
        luke = new KeyGenerator().Generate(new KeyGenerationRequest(EmailAddress.Parse("luke@jedi.test"))).Unlock("");
        recipients = [luke.Certificate];
        plain = new MimeMessage { Subject = "benchmark" };
        plain.From.Add(new MailboxAddress(null, "leia@rebel.test"));
        plain.To.Add(new MailboxAddress(null, "luke@jedi.test"));
        plain.Body = new TextPart("plain") { Text = Text(Size) };
        encrypted = new PgpMimeComposer().Compose(plain, leia, recipients);

        // Round-trip through bytes so the reader sees what a mailbox holds, not the composer's objects.
        using var stream = new MemoryStream();
        encrypted.WriteTo(stream);
        stream.Position = 0;
        encrypted = MimeMessage.Load(stream);
        reader = new PgpMimeReader(maxPlaintextBytes: 2L * Size + (1 << 20));
    }

    [Benchmark]
    public MimeMessage EncryptAndSign() => new PgpMimeComposer().Compose(plain, leia, recipients);

    [Benchmark]
    public PgpMimeReadResult DecryptAndVerify()
    {
        var result = reader.Read(encrypted, [luke], id => id == leia.Certificate.KeyId || leia.Certificate.Subkeys.Any(s => s.KeyId == id) ? leia.Certificate : null);
        return result.Signature.IsValid ? result : throw new InvalidOperationException(result.Signature.Reason);
    }

    // Base64 lines of 76 characters from random bytes: text that compresses about as well as gpg's input does.
    internal static string Text(int size)
    {
        var random = new Random(42);
        var line = new byte[57];
        var text = new System.Text.StringBuilder(size + 80);
        while (text.Length < size)
        {
            random.NextBytes(line);
            text.Append(Convert.ToBase64String(line)).Append("\r\n");
        }

        return text.ToString(0, size);
    }
}
