using System.Buffers;
using System.Security.Cryptography;

namespace Keypost.Core.OpenPgp.Streaming;

/// <summary>
/// The body of a SEIPD v1 packet (RFC 4880 §5.13): AES in CFB-128 mode with a zero IV over a random prefix, the
/// plaintext and the MDC packet (§5.14), SHA-1 over all of it. The AES and SHA-1 are .NET's (OpenSSL, AES-NI).
/// </summary>
internal sealed class CfbMdcWriter : WriteOnlyStream
{
    private const int BlockSize = 16;
    private const int BufferSize = 1 << 16;

    private readonly Stream output;
    private readonly Aes aes;
    private readonly ICryptoTransform encryptor;
    private readonly IncrementalHash sha1 = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
    private readonly byte[] plain;
    private readonly byte[] cipher;
    private int filled;
    private bool disposed;

    public CfbMdcWriter(Stream output, ReadOnlySpan<byte> sessionKey)
    {
        this.output = output;
        aes = Aes.Create();
        aes.Key = sessionKey.ToArray();
        aes.Mode = CipherMode.CFB;
        aes.FeedbackSize = 128;
        aes.Padding = PaddingMode.None;
        aes.IV = new byte[BlockSize];
        encryptor = aes.CreateEncryptor();
        plain = ArrayPool<byte>.Shared.Rent(BufferSize + BlockSize * 4);
        cipher = ArrayPool<byte>.Shared.Rent(BufferSize + BlockSize * 4);

        // RFC 4880 §5.13: a block of random octets, its last two repeated, as the first plaintext.
        Span<byte> prefix = stackalloc byte[BlockSize + 2];
        RandomNumberGenerator.Fill(prefix[..BlockSize]);
        prefix[BlockSize] = prefix[BlockSize - 2];
        prefix[BlockSize + 1] = prefix[BlockSize - 1];
        Write(prefix);
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        while (!buffer.IsEmpty)
        {
            var take = Math.Min(buffer.Length, BufferSize - filled);
            buffer[..take].CopyTo(plain.AsSpan(filled));
            filled += take;
            buffer = buffer[take..];
            if (filled == BufferSize)
            {
                EncryptFull();
            }
        }
    }

    public override void Flush()
    {
    }

    protected override void Dispose(bool disposing)
    {
        if (!disposed && disposing)
        {
            // RFC 4880 §5.14: the MDC packet (tag 19, length 20) is hashed up to its own header, then holds SHA-1.
            Write([0xD3, 0x14]);
            disposed = true;
            sha1.AppendData(plain, 0, filled);
            sha1.GetHashAndReset(plain.AsSpan(filled, 20));
            filled += 20;

            // CFB is a stream mode: the last partial block is encrypted padded and cut back to its length.
            var whole = (filled + BlockSize - 1) / BlockSize * BlockSize;
            plain.AsSpan(filled, whole - filled).Clear();
            encryptor.TransformBlock(plain, 0, whole, cipher, 0);
            output.Write(cipher, 0, filled);
            // The output is the SEIPD packet's body writer: closing it writes the last length.
            output.Dispose();
            encryptor.Dispose();
            aes.Dispose();
            sha1.Dispose();
            CryptographicOperations.ZeroMemory(plain);
            ArrayPool<byte>.Shared.Return(plain);
            ArrayPool<byte>.Shared.Return(cipher);
        }

        base.Dispose(disposing);
    }

    private void EncryptFull()
    {
        sha1.AppendData(plain, 0, filled);
        encryptor.TransformBlock(plain, 0, filled, cipher, 0);
        output.Write(cipher, 0, filled);
        filled = 0;
    }
}
