using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using MimeKit.Cryptography;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Pkcs;
using Org.BouncyCastle.Security;

namespace Keypost.Mail.Dkim;

/// <summary>
/// Per-domain DKIM keys as PKCS#8 PEM files: <c>&lt;directory&gt;/&lt;domain&gt;/&lt;selector&gt;.ed25519.pem</c> and
/// <c>&lt;selector&gt;.rsa.pem</c>, created on first use with mode 0600. Keys are cached per instance.
/// </summary>
public sealed partial class DkimKeyStore
{
    private const int RsaBits = 2048;

    private readonly string directory;
    private readonly DkimSelectors selectors;
    private readonly ConcurrentDictionary<string, DkimDomainKeys> cache = new(StringComparer.Ordinal);

    public DkimKeyStore(string directory, DkimSelectors? selectors = null)
    {
        this.directory = directory;
        this.selectors = selectors ?? DkimSelectors.Default;
        ValidateName(this.selectors.Ed25519, nameof(selectors));
        ValidateName(this.selectors.Rsa, nameof(selectors));
    }

    public DkimSelectors Selectors => selectors;

    /// <summary>The domain's keys, generating and storing any that are missing.</summary>
    public async Task<DkimDomainKeys> GetOrCreateAsync(string domain, CancellationToken cancellationToken)
    {
        domain = domain.TrimEnd('.').ToLowerInvariant();
        ValidateName(domain, nameof(domain));
        if (cache.TryGetValue(domain, out var cached))
        {
            return cached;
        }

        var domainDirectory = Path.Combine(directory, domain);
        Directory.CreateDirectory(domainDirectory);
        var ed = await LoadOrCreateAsync(domain, selectors.Ed25519, DkimSignatureAlgorithm.Ed25519Sha256, Path.Combine(domainDirectory, selectors.Ed25519 + ".ed25519.pem"), cancellationToken);
        var rsa = await LoadOrCreateAsync(domain, selectors.Rsa, DkimSignatureAlgorithm.RsaSha256, Path.Combine(domainDirectory, selectors.Rsa + ".rsa.pem"), cancellationToken);
        return cache.GetOrAdd(domain, new DkimDomainKeys(domain, ed, rsa));
    }

    private static async Task<DkimKey> LoadOrCreateAsync(string domain, string selector, DkimSignatureAlgorithm algorithm, string path, CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            var pem = algorithm == DkimSignatureAlgorithm.Ed25519Sha256 ? NewEd25519Pem() : NewRsaPem();
            await WriteNewAsync(path, pem, cancellationToken);
        }

        var text = await File.ReadAllTextAsync(path, cancellationToken);
        var fields = PemEncoding.Find(text);
        var privateKey = PrivateKeyFactory.CreateKey(Convert.FromBase64String(text[fields.Base64Data]));
        AsymmetricKeyParameter publicKey = privateKey switch
        {
            Ed25519PrivateKeyParameters ed when algorithm == DkimSignatureAlgorithm.Ed25519Sha256 => ed.GeneratePublicKey(),
            RsaPrivateCrtKeyParameters rsa when algorithm == DkimSignatureAlgorithm.RsaSha256 => new RsaKeyParameters(false, rsa.Modulus, rsa.PublicExponent),
            _ => throw new InvalidDataException($"{path} does not hold a key for {algorithm}"),
        };
        return new DkimKey(domain, selector, algorithm, privateKey, publicKey);
    }

    private static string NewEd25519Pem()
    {
        var generator = new Ed25519KeyPairGenerator();
        generator.Init(new Ed25519KeyGenerationParameters(new SecureRandom()));
        var pair = generator.GenerateKeyPair();
        var der = PrivateKeyInfoFactory.CreatePrivateKeyInfo(pair.Private).GetEncoded();
        return new string(PemEncoding.Write("PRIVATE KEY", der)) + "\n";
    }

    private static string NewRsaPem()
    {
        // .NET's RSA (OpenSSL underneath) generates 2048-bit keys much faster than BouncyCastle's generator.
        using var rsa = RSA.Create(RsaBits);
        return rsa.ExportPkcs8PrivateKeyPem() + "\n";
    }

    /// <summary>Writes to a temporary file then renames, so a crash never leaves half a key; a racing writer's key wins.</summary>
    private static async Task WriteNewAsync(string path, string pem, CancellationToken cancellationToken)
    {
        var temp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        await using (var stream = new FileStream(temp, options))
        {
            await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(pem), cancellationToken);
            await stream.FlushAsync(cancellationToken);
            stream.Flush(flushToDisk: true);
        }

        try
        {
            File.Move(temp, path, overwrite: false);
        }
        catch (IOException) when (File.Exists(path))
        {
            File.Delete(temp);
        }
    }

    private static void ValidateName(string name, string parameter)
    {
        // Domain and selector become path components: allow only LDH labels, so no "..", "/" or empty names.
        if (!LdhName().IsMatch(name))
        {
            throw new ArgumentException($"not a valid DNS name: '{name}'", parameter);
        }
    }

    [GeneratedRegex("^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$")]
    private static partial Regex LdhName();
}
