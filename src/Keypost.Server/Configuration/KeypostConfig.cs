using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Configuration;

namespace Keypost.Server.Configuration;

/// <summary>
/// In charge of the configuration file: its shape, loading and validation. The one configuration file of a Keypost server (JSON). Relative paths are relative to the file.
/// </summary>
public sealed class KeypostConfig
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Where the SQLite file, queue and mailboxes live.</summary>
    public string DataDirectory { get; set; } = "data";

    /// <summary>This server's host name, used in greetings and Received headers.</summary>
    public string Hostname { get; set; } = "localhost";

    public List<DomainConfig> Domains { get; set; } = [];

    public HttpConfig Http { get; set; } = new();

    public RateLimitConfig RateLimit { get; set; } = new();

    public MailConfig Mail { get; set; } = new();

    /// <summary>
    /// Seconds a stop (SIGTERM) waits for SMTP transactions under way to finish before the rest get 421;
    /// IMAP sessions get BYE at once and the queue is left as it is on disk.
    /// </summary>
    public int DrainSeconds { get; set; } = 30;

    public LogConfig Log { get; set; } = new();

    public MetricsConfig Metrics { get; set; } = new();

    public TransparencyConfig Transparency { get; set; } = new();

    /// <summary>Expiry reminders and other lifecycle work the server does for its users.</summary>
    public LifecycleConfig Lifecycle { get; set; } = new();

    public AcmeConfig Acme { get; set; } = new();

    /// <summary>SQLite and Maildir under dataDirectory (the default), or PostgreSQL for several nodes.</summary>
    public StorageConfig Storage { get; set; } = new();

    /// <summary>
    /// Reads the file through Microsoft.Extensions.Configuration, refuses unknown keys and values of the wrong
    /// type, binds, resolves relative paths and validates; every problem is named by its JSON path.
    /// </summary>
    public static KeypostConfig Load(string path)
    {
        var full = Path.GetFullPath(path);
        IConfigurationRoot root;
        try
        {
            root = new ConfigurationBuilder().AddJsonFile(full, optional: false, reloadOnChange: false).Build();
        }
        catch (Exception e) when (e is InvalidDataException or FormatException)
        {
            throw new ConfigException($"{path}: not valid configuration JSON ({e.InnerException?.Message ?? e.Message})");
        }
        catch (IOException e)
        {
            throw new ConfigException($"{path}: {e.Message}");
        }

        var config = new KeypostConfig();
        var errors = new List<string>();
        ConfigurationChecker.Check(root, config, "", errors);
        if (errors.Count == 0)
        {
            root.Bind(config);
            config.ResolvePaths(Path.GetDirectoryName(full)!);
            errors.AddRange(KeypostConfigValidator.Check(config));
        }

        return errors.Count == 0 ? config : throw new ConfigException($"{path}: " + string.Join(Environment.NewLine + "  ", errors));
    }

    public void Save(string path) => File.WriteAllText(path, JsonSerializer.Serialize(this, JsonOptions));

    [JsonIgnore]
    public string DatabasePath => Path.Combine(DataDirectory, "keypost.db");

    /// <summary>Our MTA-STS policy (RFC 8461): mode from mail.mtaStsMode, the one MX host this server is.</summary>
    public Keypost.Mail.MtaSts.MtaStsPublication MtaStsPublication() =>
        new(Mail.MtaStsMode, [Hostname], Mail.MtaStsMaxAgeSeconds);

    [JsonIgnore]
    public string? MailCertificateFile => Mail.CertificateFile ?? Http.CertificateFile;

    [JsonIgnore]
    public string? MailKeyFile => Mail.KeyFile ?? Http.KeyFile;

    [JsonIgnore]
    public string QueueDirectory => Path.Combine(DataDirectory, "queue");

    [JsonIgnore]
    public string MailDirectory => Path.Combine(DataDirectory, "mail");

    [JsonIgnore]
    public string AcmeDirectory => Path.Combine(DataDirectory, "acme");

    /// <summary>The names a certificate must cover: the hostname, and each domain with its openpgpkey. and mta-sts. hosts.</summary>
    [JsonIgnore]
    public IReadOnlyList<string> CertificateNames => Acme.Names.Count > 0
        ? Acme.Names
        : new[] { Hostname }
            .Concat(Domains.SelectMany(d => new[] { d.Name, "openpgpkey." + d.Name, "mta-sts." + d.Name }))
            .Select(n => n.TrimEnd('.').ToLowerInvariant())
            .Distinct(StringComparer.Ordinal)
            .ToList();

    [JsonIgnore]
    public string DkimDirectory => Path.Combine(DataDirectory, "dkim");

    private void ResolvePaths(string baseDirectory)
    {
        DataDirectory = Path.GetFullPath(DataDirectory, baseDirectory);
        if (Http.CertificateFile is not null)
        {
            Http.CertificateFile = Path.GetFullPath(Http.CertificateFile, baseDirectory);
        }

        if (Http.KeyFile is not null)
        {
            Http.KeyFile = Path.GetFullPath(Http.KeyFile, baseDirectory);
        }

        if (Mail.CertificateFile is not null)
        {
            Mail.CertificateFile = Path.GetFullPath(Mail.CertificateFile, baseDirectory);
        }

        if (Mail.KeyFile is not null)
        {
            Mail.KeyFile = Path.GetFullPath(Mail.KeyFile, baseDirectory);
        }

        if (Acme.DirectoryCaFile is not null)
        {
            Acme.DirectoryCaFile = Path.GetFullPath(Acme.DirectoryCaFile, baseDirectory);
        }

        foreach (var domain in Domains.Where(d => d.AdditionalDecryptionKeyFile is not null))
        {
            domain.AdditionalDecryptionKeyFile = Path.GetFullPath(domain.AdditionalDecryptionKeyFile!, baseDirectory);
        }
    }
}
