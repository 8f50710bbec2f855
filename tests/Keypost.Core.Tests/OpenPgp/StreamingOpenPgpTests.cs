using System.Security.Cryptography;
using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;
using Keypost.Core.OpenPgp.Streaming;
using Keypost.Core.PgpMime;

namespace Keypost.Core.Tests.OpenPgp;

/// <summary>
/// Streaming OpenPGP (issue #14): 100 MB through files, the MDC checked before anything is released, and the
/// staging file never visible in the temporary directory.
/// </summary>
public sealed class StreamingOpenPgpTests : IDisposable
{
    private const long Size = 100L * 1024 * 1024;

    private static readonly SecretKey Leia = new KeyGenerator().Generate(new KeyGenerationRequest(EmailAddress.Parse("leia@rebel.test")));
    private static readonly SecretKey Luke = new KeyGenerator().Generate(new KeyGenerationRequest(EmailAddress.Parse("luke@jedi.test")));

    private readonly DirectoryInfo files = Directory.CreateTempSubdirectory("keypost-stream-");
    private readonly DirectoryInfo staging = Directory.CreateTempSubdirectory("keypost-staging-");

    public void Dispose()
    {
        files.Delete(recursive: true);
        staging.Delete(recursive: true);
    }

    [Fact]
    public async Task Hundred_megabytes_round_trip_byte_identical_and_signed()
    {
        var (plain, encrypted) = await EncryptHundredMegabytesAsync();
        var output = Path.Combine(files.FullName, "out.bin");

        StreamDecryption result;
        await using (var input = File.OpenRead(encrypted))
        await using (var sink = File.Create(output))
        {
            result = await Reader().DecryptAsync(input, sink, [Luke.Unlock("")], FindLeia, CancellationToken.None);
        }

        Assert.Equal(Size, result.PlaintextBytes);
        Assert.Equal(Hash(plain), Hash(output));
        Assert.Equal(PgpMimeSignatureStatus.Valid, result.Signature.Status);
        Assert.Equal(Leia.Fingerprint, result.Signature.SignerFingerprint);
        Assert.Equal("Aes256", result.Cipher);
        Assert.False(result.WasCompressed);
        Assert.Empty(Directory.EnumerateFileSystemEntries(staging.FullName));
    }

    [Theory]
    [InlineData("altered in the middle")]
    [InlineData("altered in the MDC")]
    [InlineData("cut short")]
    [InlineData("cut inside the MDC")]
    public async Task Damaged_hundred_megabytes_release_nothing_and_leave_no_file(string damage)
    {
        var (_, encrypted) = await EncryptHundredMegabytesAsync();
        await using (var file = new FileStream(encrypted, FileMode.Open, FileAccess.ReadWrite))
        {
            switch (damage)
            {
                case "altered in the middle":
                    Flip(file, file.Length / 2);
                    break;
                case "altered in the MDC":
                    Flip(file, file.Length - 5);
                    break;
                case "cut short":
                    file.SetLength(file.Length * 3 / 5);
                    break;
                default:
                    file.SetLength(file.Length - 10);
                    break;
            }
        }

        var output = new CountingStream();
        await using var input = File.OpenRead(encrypted);
        var refused = await Assert.ThrowsAsync<OpenPgpException>(
            () => Reader().DecryptAsync(input, output, [Luke.Unlock("")], FindLeia, CancellationToken.None));

        Assert.Equal(OpenPgpError.IntegrityCheckFailed, refused.Error);
        Assert.Equal(0, output.Written);
        Assert.Empty(Directory.EnumerateFileSystemEntries(staging.FullName));
    }

    [Fact]
    public async Task Armored_output_is_read_back_and_a_stranger_cannot_decrypt()
    {
        var plaintext = RandomNumberGenerator.GetBytes(300_000);
        using var armored = new MemoryStream();
        await new StreamingOpenPgp().EncryptAsync(
            new MemoryStream(plaintext), armored, [Luke.Certificate], null, armor: true, CancellationToken.None);
        Assert.StartsWith("-----BEGIN PGP MESSAGE-----", System.Text.Encoding.ASCII.GetString(armored.ToArray(), 0, 40), StringComparison.Ordinal);

        armored.Position = 0;
        using var output = new MemoryStream();
        var result = await Reader().DecryptAsync(armored, output, [Luke.Unlock("")], _ => null, CancellationToken.None);
        Assert.Equal(plaintext, output.ToArray());
        Assert.Equal(PgpMimeSignatureStatus.Unsigned, result.Signature.Status);

        armored.Position = 0;
        var refused = await Assert.ThrowsAsync<OpenPgpException>(
            () => Reader().DecryptAsync(armored, new MemoryStream(), [Leia.Unlock("")], _ => null, CancellationToken.None));
        Assert.Equal(OpenPgpError.NoDecryptionKey, refused.Error);
    }

    [Fact]
    public async Task Plaintext_over_the_cap_is_refused_before_any_is_released()
    {
        using var encrypted = new MemoryStream();
        await new StreamingOpenPgp().EncryptAsync(
            new MemoryStream(new byte[200_000]), encrypted, [Luke.Certificate], Leia.Unlock(""), armor: false, CancellationToken.None);
        encrypted.Position = 0;
        var output = new CountingStream();

        var refused = await Assert.ThrowsAsync<OpenPgpException>(
            () => new StreamingOpenPgp(staging.FullName, maxPlaintextBytes: 100_000)
                .DecryptAsync(encrypted, output, [Luke.Unlock("")], FindLeia, CancellationToken.None));

        Assert.Equal(OpenPgpError.TooLarge, refused.Error);
        Assert.Equal(0, output.Written);
    }

    private StreamingOpenPgp Reader() => new(staging.FullName);

    private static Certificate? FindLeia(ulong keyId) => keyId == Leia.Certificate.KeyId ? Leia.Certificate : null;

    private async Task<(string Plain, string Encrypted)> EncryptHundredMegabytesAsync()
    {
        var plain = Path.Combine(files.FullName, "plain.bin");
        await using (var file = File.Create(plain))
        {
            var chunk = new byte[1 << 20];
            for (var i = 0; i < Size / chunk.Length; i++)
            {
                RandomNumberGenerator.Fill(chunk);
                await file.WriteAsync(chunk, CancellationToken.None);
            }
        }

        var encrypted = Path.Combine(files.FullName, "message.pgp");
        await using (var input = File.OpenRead(plain))
        await using (var output = File.Create(encrypted))
        {
            await new StreamingOpenPgp().EncryptAsync(
                input, output, [Luke.Certificate, Leia.Certificate], Leia.Unlock(""), armor: false, CancellationToken.None);
        }

        Assert.InRange(new FileInfo(encrypted).Length, Size, Size + 4096);
        return (plain, encrypted);
    }

    private static void Flip(FileStream file, long at)
    {
        file.Position = at;
        var b = file.ReadByte();
        file.Position = at;
        file.WriteByte((byte)(b ^ 0x01));
    }

    private static string Hash(string path)
    {
        using var file = File.OpenRead(path);
        return Convert.ToHexString(SHA256.HashData(file));
    }

    /// <summary>Counts what reaches the caller's side and keeps none of it.</summary>
    private sealed class CountingStream : Stream
    {
        public long Written { get; private set; }

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => Written;

        public override long Position
        {
            get => Written;
            set => throw new NotSupportedException();
        }

        public override void Write(byte[] buffer, int offset, int count) => Written += count;

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            Written += count;
            return Task.CompletedTask;
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Written += buffer.Length;
            return ValueTask.CompletedTask;
        }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
