using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using MimeKit.Cryptography;
using Npgsql;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Pkcs;
using Org.BouncyCastle.Security;

namespace Keypost.Mail.Dkim;

/// <summary>
/// Per-domain DKIM keys, created on first use. On one node they are PKCS#8 PEM files:
/// <c>&lt;directory&gt;/&lt;domain&gt;/&lt;selector&gt;.ed25519.pem</c> and <c>&lt;selector&gt;.rsa.pem</c>, mode 0600.
/// With storage.kind "postgres" they are rows of the shared database (<see cref="OpenPostgresAsync"/>), so every node
/// signs with the same key under the same selector. Keys are cached per instance.
/// </summary>
public sealed partial class DkimKeyStore
{
    private const int RsaBits = 2048;

    private readonly string? directory;
    private readonly PostgresDkimKeys? database;
    private readonly DkimSelectors selectors;
    private readonly ConcurrentDictionary<string, DkimDomainKeys> cache = new(StringComparer.Ordinal);

    public DkimKeyStore(string directory, DkimSelectors? selectors = null)
        : this(directory, null, selectors)
    {
    }

    private DkimKeyStore(string? directory, PostgresDkimKeys? database, DkimSelectors? selectors)
    {
        this.directory = directory;
        this.database = database;
        this.selectors = selectors ?? DkimSelectors.Default;
        ValidateName(this.selectors.Ed25519, nameof(selectors));
        ValidateName(this.selectors.Rsa, nameof(selectors));
    }

    /// <summary>The keys in the PostgreSQL database several nodes share (its <c>dkim</c> schema is created or migrated here).</summary>
    public static async Task<DkimKeyStore> OpenPostgresAsync(NpgsqlDataSource dataSource, DkimSelectors? selectors, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        return new DkimKeyStore(null, await PostgresDkimKeys.OpenAsync(dataSource, cancellationToken), selectors);
    }

    /// <summary>Where the keys are, for messages: a directory, or "PostgreSQL".</summary>
    public string Description => directory ?? "PostgreSQL";

    /// <summary>Every key stored (a migration reads them all), generating none.</summary>
    public async Task<IReadOnlyList<DkimStoredKey>> ListAsync(CancellationToken cancellationToken)
    {
        if (database is not null)
        {
            return await database.ListAsync(cancellationToken);
        }

        var keys = new List<DkimStoredKey>();
        if (!Directory.Exists(directory))
        {
            return keys;
        }

        foreach (var domainDirectory in Directory.EnumerateDirectories(directory).Order(StringComparer.Ordinal))
        {
            foreach (var file in Directory.EnumerateFiles(domainDirectory, "*.pem").Order(StringComparer.Ordinal))
            {
                var name = Path.GetFileName(file);
                var (selector, algorithm) = name.EndsWith(".ed25519.pem", StringComparison.Ordinal)
                    ? (name[..^".ed25519.pem".Length], DkimSignatureAlgorithm.Ed25519Sha256)
                    : name.EndsWith(".rsa.pem", StringComparison.Ordinal)
                        ? (name[..^".rsa.pem".Length], DkimSignatureAlgorithm.RsaSha256)
                        : (null, default);
                if (selector is not null)
                {
                    keys.Add(new DkimStoredKey(Path.GetFileName(domainDirectory), selector, algorithm, await File.ReadAllTextAsync(file, cancellationToken)));
                }
            }
        }

        return keys;
    }

    /// <summary>
    /// Stores a key taken from another store (a migration) unless its (domain, selector) has one; true when it stored
    /// it. Only the PostgreSQL store imports.
    /// </summary>
    public Task<bool> ImportAsync(DkimStoredKey key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        ValidateName(key.Domain, nameof(key));
        ValidateName(key.Selector, nameof(key));
        return database is null
            ? throw new NotSupportedException("only the DKIM keys in PostgreSQL import")
            : database.InsertAsync(key, cancellationToken);
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

        var ed = await LoadOrCreateAsync(domain, selectors.Ed25519, DkimSignatureAlgorithm.Ed25519Sha256, cancellationToken);
        var rsa = await LoadOrCreateAsync(domain, selectors.Rsa, DkimSignatureAlgorithm.RsaSha256, cancellationToken);
        return cache.GetOrAdd(domain, new DkimDomainKeys(domain, ed, rsa));
    }

    private async Task<DkimKey> LoadOrCreateAsync(string domain, string selector, DkimSignatureAlgorithm algorithm, CancellationToken cancellationToken)
    {
        string text, path;
        if (database is not null)
        {
            // Race-free across nodes: each offers a fresh key, the first insert wins, and every node reads the winner.
            path = $"the {selector} key of {domain} in PostgreSQL";
            text = await database.GetOrAddAsync(domain, selector, algorithm, () => NewPem(algorithm), cancellationToken);
        }
        else
        {
            var domainDirectory = Path.Combine(directory!, domain);
            Directory.CreateDirectory(domainDirectory);
            path = Path.Combine(domainDirectory, selector + (algorithm == DkimSignatureAlgorithm.Ed25519Sha256 ? ".ed25519.pem" : ".rsa.pem"));
            if (!File.Exists(path))
            {
                await WriteNewAsync(path, NewPem(algorithm), cancellationToken);
            }

            text = await File.ReadAllTextAsync(path, cancellationToken);
        }

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

    private static string NewPem(DkimSignatureAlgorithm algorithm) =>
        algorithm == DkimSignatureAlgorithm.Ed25519Sha256 ? NewEd25519Pem() : NewRsaPem();

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
