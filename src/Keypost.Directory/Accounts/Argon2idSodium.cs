using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Keypost.Directory.Accounts;

/// <summary>
/// Argon2id (RFC 9106, version 0x13) from libsodium's <c>crypto_pwhash</c>. Its memory (19 MiB per hash with our
/// defaults) is one native allocation released when the hash ends, so parallel logins do not leave garbage behind in
/// the managed heap the way BouncyCastle's 19,456 block objects per hash do (issue #13: memory under guessing).
/// libsodium computes only one lane and a 16-byte salt; other parameters stay with BouncyCastle.
/// </summary>
internal static partial class Argon2idSodium
{
    private const string Library = "libsodium";
    private const int SaltBytes = 16;
    private const int AlgorithmArgon2id13 = 2;

    static Argon2idSodium()
    {
        // sodium_init: 0 = initialised now, 1 = already; -1 = unusable.
        if (sodium_init() < 0)
        {
            throw new CryptographicException("libsodium failed to initialise");
        }
    }

    /// <summary>Whether libsodium can compute these parameters (one lane, a 16-byte salt, at least 8 KiB and 16 bytes out).</summary>
    public static bool Supports(int saltLength, int parallelism, int memoryKiB, int iterations, int outputLength) =>
        saltLength == SaltBytes && parallelism == 1 && memoryKiB >= 8 && iterations >= 1 && outputLength >= 16;

    public static byte[] Derive(ReadOnlySpan<byte> password, ReadOnlySpan<byte> salt, int memoryKiB, int iterations, int outputLength)
    {
        var output = new byte[outputLength];
        if (crypto_pwhash(output, (ulong)output.Length, password, (ulong)password.Length, salt, (ulong)iterations, (nuint)memoryKiB * 1024, AlgorithmArgon2id13) != 0)
        {
            // Only when the memory cannot be allocated: a login cannot be checked now.
            throw new CryptographicException("libsodium crypto_pwhash failed (out of memory?)");
        }

        return output;
    }

    [LibraryImport(Library)]
    private static partial int sodium_init();

    [LibraryImport(Library)]
    private static partial int crypto_pwhash(Span<byte> output, ulong outputLength, ReadOnlySpan<byte> password, ulong passwordLength, ReadOnlySpan<byte> salt, ulong opsLimit, nuint memLimit, int algorithm);
}
