using System.Text.Json;
using System.Text.Json.Serialization;

namespace Keypost.Server.Configuration;

/// <summary>The one configuration file of a Keypost server (JSON). Relative paths are relative to the file.</summary>
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

    public TransparencyConfig Transparency { get; set; } = new();

    public static KeypostConfig Load(string path)
    {
        KeypostConfig? config;
        try
        {
            using var stream = File.OpenRead(path);
            config = JsonSerializer.Deserialize<KeypostConfig>(stream, JsonOptions);
        }
        catch (JsonException e)
        {
            throw new ConfigException($"{path}: not valid configuration JSON ({e.Message})");
        }
        catch (IOException e)
        {
            throw new ConfigException($"{path}: {e.Message}");
        }

        config ??= new KeypostConfig();
        config.ResolvePaths(Path.GetDirectoryName(Path.GetFullPath(path))!);
        config.Validate(path);
        return config;
    }

    public void Save(string path) => File.WriteAllText(path, JsonSerializer.Serialize(this, JsonOptions));

    public string DatabasePath => Path.Combine(DataDirectory, "keypost.db");

    public string? MailCertificateFile => Mail.CertificateFile ?? Http.CertificateFile;

    public string? MailKeyFile => Mail.KeyFile ?? Http.KeyFile;

    public string QueueDirectory => Path.Combine(DataDirectory, "queue");

    public string MailDirectory => Path.Combine(DataDirectory, "mail");

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

        foreach (var domain in Domains.Where(d => d.AdditionalDecryptionKeyFile is not null))
        {
            domain.AdditionalDecryptionKeyFile = Path.GetFullPath(domain.AdditionalDecryptionKeyFile!, baseDirectory);
        }
    }

    private void Validate(string path)
    {
        if (Domains.Count == 0)
        {
            throw new ConfigException($"{path}: no domains configured");
        }

        foreach (var listen in Http.Listen)
        {
            _ = ListenAddress.Parse(listen);
        }

        foreach (var listen in Mail.AllListeners.Concat(Mail.DnsServers))
        {
            _ = ListenAddress.Parse(listen);
        }

        foreach (var domain in Domains.Where(d => d.GatewayDisclaimer is { Length: > Core.PgpMime.PgpMimeDisclaimer.MaxLength }))
        {
            throw new ConfigException($"{path}: the gateway disclaimer of {domain.Name} is longer than {Core.PgpMime.PgpMimeDisclaimer.MaxLength} characters");
        }

        if (Transparency.EpochIntervalSeconds <= 0)
        {
            throw new ConfigException($"{path}: transparency.epochIntervalSeconds must be positive");
        }

        if (Mail.Enabled && (MailCertificateFile is null || MailKeyFile is null))
        {
            throw new ConfigException($"{path}: mail needs a TLS certificate (mail.certificateFile/keyFile or http's)");
        }

        if (Http.Listen.Count > 0 && (Http.CertificateFile is null || Http.KeyFile is null))
        {
            throw new ConfigException($"{path}: http.certificateFile and http.keyFile are required (WKD is served over HTTPS only)");
        }
    }
}
