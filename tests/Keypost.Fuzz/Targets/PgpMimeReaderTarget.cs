using Keypost.Core.OpenPgp;
using Keypost.Core.PgpMime;
using MimeKit;

namespace Keypost.Fuzz.Targets;

/// <summary>
/// The PGP/MIME reader over the input as a received message, holding the fixed test key the seed corpus is
/// encrypted to (tests/fuzz/keys/pgpmime-reader.asc, a throw-away key made for this harness only). MIME
/// FormatException and OpenPgpException are the intended refusals.
/// </summary>
internal sealed class PgpMimeReaderTarget
{
    public const string KeyFile = "pgpmime-reader.asc";

    private readonly UnlockedSecretKey _key;
    private readonly PgpMimeReader _reader = new(maxPlaintextBytes: 4 * 1024 * 1024);

    public PgpMimeReaderTarget()
    {
        _key = SecretKey.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "keys", KeyFile))).Unlock("");
    }

    public UnlockedSecretKey Key => _key;

    public void Run(byte[] input)
    {
        MimeMessage message;
        try
        {
            message = MimeMessage.Load(new MemoryStream(input, writable: false));
        }
        catch (FormatException)
        {
            return;
        }

        PgpMimeReadResult result;
        try
        {
            result = _reader.Read(message, [_key], _ => _key.Certificate);
        }
        catch (OpenPgpException)
        {
            return;
        }

        _ = result.DisplaySubject + result.DisplayFrom + result.DisplayDisclaimer + result.Signature + result.Encryption
            + result.Attachments.Count + result.Warnings.Count;
    }
}
