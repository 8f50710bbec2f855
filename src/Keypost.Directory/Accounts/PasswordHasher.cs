using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;

namespace Keypost.Directory.Accounts;

/// <summary>
/// In charge of account passwords: Argon2id hashing, checking and the bound on hashes at once.
/// Account passwords as Argon2id (RFC 9106) hashes in the PHC string format
/// (<c>$argon2id$v=19$m=19456,t=2,p=1$salt$hash</c>), computed by libsodium (see <see cref="Argon2idSodium"/>; by
/// BouncyCastle for parameters libsodium cannot do, e.g. more than one lane). The defaults are OWASP's
/// minimum for Argon2id; the parameters travel in the string, so they can be raised without a migration.
/// </summary>
public sealed class PasswordHasher(int memoryKiB = 19456, int iterations = 2, int parallelism = 1)
{
    private const int SaltBytes = 16;
    private const int HashBytes = 32;

    public string Hash(string password)
    {
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        var hash = Derive(password, salt, memoryKiB, iterations, parallelism, HashBytes);
        return string.Create(CultureInfo.InvariantCulture, $"$argon2id$v=19$m={memoryKiB},t={iterations},p={parallelism}${Encode(salt)}${Encode(hash)}");
    }

    /// <summary>True when <paramref name="password"/> matches; false for a wrong password or an unreadable hash.</summary>
    public static bool Verify(string password, string encoded)
    {
        var parts = encoded.Split('$');
        if (parts.Length != 6 || parts[1] != "argon2id" || parts[2] != "v=19")
        {
            return false;
        }

        var settings = parts[3].Split(',').Select(p => p.Split('=')).ToDictionary(p => p[0], p => int.Parse(p[1], CultureInfo.InvariantCulture));
        var salt = Decode(parts[4]);
        var expected = Decode(parts[5]);
        var actual = Derive(password, salt, settings["m"], settings["t"], settings["p"], expected.Length);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }

    private static byte[] Derive(string password, byte[] salt, int memory, int iterations, int parallelism, int length)
    {
        if (Argon2idSodium.Supports(salt.Length, parallelism, memory, iterations, length))
        {
            return Argon2idSodium.Derive(Encoding.UTF8.GetBytes(password), salt, memory, iterations, length);
        }

        return DeriveManaged(password, salt, memory, iterations, parallelism, length);
    }

    /// <summary>BouncyCastle's Argon2id: any parameters, at the cost of the whole memory in managed objects.</summary>
    internal static byte[] DeriveManaged(string password, byte[] salt, int memory, int iterations, int parallelism, int length)
    {
        var parameters = new Argon2Parameters.Builder(Argon2Parameters.Argon2id)
            .WithVersion(Argon2Parameters.Version13)
            .WithMemoryAsKB(memory)
            .WithIterations(iterations)
            .WithParallelism(parallelism)
            .WithSalt(salt)
            .Build();
        var generator = new Argon2BytesGenerator();
        generator.Init(parameters);
        var output = new byte[length];
        generator.GenerateBytes(Encoding.UTF8.GetBytes(password), output);
        return output;
    }

    // PHC strings use standard base64 without padding.
    private static string Encode(byte[] data) => Convert.ToBase64String(data).TrimEnd('=');

    private static byte[] Decode(string text) => Convert.FromBase64String(text.PadRight(text.Length + ((4 - (text.Length % 4)) % 4), '='));
}
