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
public sealed class StreamingOpenPgpTests : IClassFixture<StreamingOpenPgpTests.HundredMegabytes>, IDisposable
{
    private const long Size = 100L * 1024 * 1024;

    private static readonly SecretKey Leia = new KeyGenerator().Generate(new KeyGenerationRequest(EmailAddress.Parse("leia@rebel.test")));
    private static readonly SecretKey Luke = new KeyGenerator().Generate(new KeyGenerationRequest(EmailAddress.Parse("luke@jedi.test")));

    private readonly HundredMegabytes message;
    private readonly DirectoryInfo staging = System.IO.Directory.CreateTempSubdirectory("keypost-staging-");

    public StreamingOpenPgpTests(HundredMegabytes message)
    {
        this.message = message;
    }

    public void Dispose() => staging.Delete(recursive: true);

    [Fact]
    public async Task Hundred_megabytes_round_trip_byte_identical_and_signed()
    {
        var output = new CountingStream();

        StreamDecryption result;
        await using (var input = File.OpenRead(message.Encrypted))
        {
            result = await Reader().DecryptAsync(input, output, [Luke.Unlock("")], FindLeia, CancellationToken.None);
        }

        Assert.Equal(Size, result.PlaintextBytes);
        Assert.Equal(Size, output.Written);
        Assert.Equal(message.PlaintextSha256, output.Sha256());
        Assert.Equal(PgpMimeSignatureStatus.Valid, result.Signature.Status);
        Assert.Equal(Leia.Fingerprint, result.Signature.SignerFingerprint);
        Assert.Equal("Aes256", result.Cipher);
        Assert.False(result.WasCompressed);
        Assert.Empty(System.IO.Directory.EnumerateFileSystemEntries(staging.FullName));
    }

    // The damage is done while reading, so the one encrypted file serves every case.
    [Theory]
    [InlineData("altered in the middle")]
    [InlineData("altered in the MDC")]
    [InlineData("cut short")]
    [InlineData("cut inside the MDC")]
    public async Task Damaged_hundred_megabytes_release_nothing_and_leave_no_file(string damage)
    {
        var length = new FileInfo(message.Encrypted).Length;
        var (flipAt, cutAt) = damage switch
        {
            "altered in the middle" => (length / 2, length),
            "altered in the MDC" => (length - 5, length),
            "cut short" => (-1L, length * 3 / 5),
            _ => (-1L, length - 10),
        };
        var output = new CountingStream();
        await using var input = new DamagingStream(File.OpenRead(message.Encrypted), flipAt, cutAt);

        var refused = await Assert.ThrowsAsync<OpenPgpException>(
            () => Reader().DecryptAsync(input, output, [Luke.Unlock("")], FindLeia, CancellationToken.None));

        Assert.Equal(OpenPgpError.IntegrityCheckFailed, refused.Error);
        Assert.Equal(0, output.Written);
        Assert.Empty(System.IO.Directory.EnumerateFileSystemEntries(staging.FullName));
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

    /// <summary>One 100 MB message, encrypted once for the class: pseudo-random plaintext made on the fly.</summary>
    public sealed class HundredMegabytes : IDisposable
    {
        private readonly DirectoryInfo directory = System.IO.Directory.CreateTempSubdirectory("keypost-stream-");

        public HundredMegabytes()
        {
            Encrypted = Path.Combine(directory.FullName, "message.pgp");
            var plaintext = new PseudoRandomStream(Size, seed: 14);
            using (var output = File.Create(Encrypted))
            {
                new StreamingOpenPgp().EncryptAsync(plaintext, output, [Luke.Certificate, Leia.Certificate], Leia.Unlock(""), armor: false, CancellationToken.None)
                    .GetAwaiter().GetResult();
            }

            PlaintextSha256 = plaintext.Sha256();
        }

        public string Encrypted { get; }

        public string PlaintextSha256 { get; }

        public void Dispose() => directory.Delete(recursive: true);
    }

    /// <summary>A readable stream of <c>length</c> seeded pseudo-random bytes, hashing what it hands out.</summary>
    private sealed class PseudoRandomStream(long length, int seed) : Stream
    {
        private readonly Random random = new(seed);
        private readonly IncrementalHash hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        private long position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => length;

        public override long Position
        {
            get => position;
            set => throw new NotSupportedException();
        }

        public string Sha256() => Convert.ToHexString(hash.GetHashAndReset());

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var take = (int)Math.Min(buffer.Length, length - position);
            random.NextBytes(buffer[..take]);
            hash.AppendData(buffer[..take]);
            position += take;
            return take;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(Read(buffer.Span));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>Reads through, flipping one bit at <c>flipAt</c> and ending at <c>cutAt</c>.</summary>
    private sealed class DamagingStream(Stream inner, long flipAt, long cutAt) : Stream
    {
        private long position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => position;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var read = inner.Read(buffer, offset, (int)Math.Min(count, cutAt - position));
            if (flipAt >= position && flipAt < position + read)
            {
                buffer[offset + (int)(flipAt - position)] ^= 0x01;
            }

            position += read;
            return read;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }

    /// <summary>Counts and hashes what reaches the caller's side and keeps none of it.</summary>
    private sealed class CountingStream : Stream
    {
        private readonly IncrementalHash hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

        public long Written { get; private set; }

        public string Sha256() => Convert.ToHexString(hash.GetHashAndReset());

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => Written;

        public override long Position
        {
            get => Written;
            set => throw new NotSupportedException();
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            Written += buffer.Length;
            hash.AppendData(buffer);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            Write(buffer.AsSpan(offset, count));
            return Task.CompletedTask;
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Write(buffer.Span);
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
