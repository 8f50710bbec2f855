using System.Security.Cryptography.X509Certificates;
using Keypost.Client;
using Keypost.Client.Contacts;
using Keypost.Client.Discovery;
using Keypost.Client.Reading;
using Keypost.Core.OpenPgp;
using Keypost.Core.Policy;
using Keypost.Mail.Dns;
using Keypost.Server.Configuration;

namespace Keypost.Cli.ClientSide;

/// <summary>
/// In charge of what the client verbs share on the user's machine: the profile, keys, pins and the connections built from them. The user's services built from their profile: discovery with pins, the secret key, the mail server.
/// </summary>
public sealed class ClientSession : IDisposable
{
    private readonly HttpClient _http;
    private readonly X509Certificate2? _ca;

    public ClientSession(ClientProfile profile)
    {
        Profile = profile;
        _ca = profile.TrustedCaFile is { } caFile ? X509CertificateLoader.LoadCertificateFromFile(Path.GetFullPath(caFile, profile.Home)) : null;
        _http = profile.DnsServers.Count == 0 && profile.HttpsPort == 443 && _ca is null
            ? WkdHttp.CreateSystem()
            : WkdHttp.CreateHttpClient(
                new MailDnsResolver(new MailDnsResolverOptions { NameServers = profile.DnsServers.Select(ListenAddress.Parse).ToList() }),
                profile.HttpsPort,
                _ca);
        Pins = new PinStore(profile.PinsPath, TimeProvider.System);
        Policy = new SendPolicy(profile.Policies, profile.DefaultPolicy);
        // The per-domain policy also decides a domain without a transparency log: require refuses it.
        var logStore = new LogStore(Path.Combine(profile.Home, "logs.db"), TimeProvider.System);
        Logs = logStore;
        var logs = new LogChecker(_http, logStore, TimeProvider.System);
        OwnerMonitor = new Keypost.Client.Monitoring.OwnerMonitor(_http, logStore, TimeProvider.System);
        SenderProofs = new Keypost.Client.Reading.SenderKeyProofChecker(logStore, TimeProvider.System);
        Discovery = new KeyDiscovery(new WkdClient(_http), Pins, profile.OnKeyChange, logs, d => Policy.For(d) == EncryptionPolicy.Require);
    }

    public ClientProfile Profile { get; }

    /// <summary>Publishes the user's own certificate to their domain over HTTPS with the mail password.</summary>
    public Keypost.Client.Publishing.KeyPublishClient Publisher => new(_http);

    /// <summary>The account's device endpoints, authenticated with the mail password.</summary>
    public Keypost.Client.Devices.DeviceClient Devices(string password) =>
        new(_http, Core.Addresses.EmailAddress.Parse(Profile.Address), password);

    /// <summary>The mail password from a file or $KEYPOST_PASSWORD; null when neither is given.</summary>
    public static string? TryMailPassword(string? file) =>
        file is not null ? File.ReadLines(file).FirstOrDefault() ?? "" : Environment.GetEnvironmentVariable("KEYPOST_PASSWORD");

    /// <summary>The mail password; a missing one is a one-line error.</summary>
    public static string MailPassword(string? file) => Secret(file, "KEYPOST_PASSWORD", "mail password");

    /// <summary>The key passphrase from a file or $KEYPOST_PASSPHRASE.</summary>
    public static string Passphrase(string? file) => Secret(file, "KEYPOST_PASSPHRASE", "key passphrase");

    public Keypost.Client.Monitoring.OwnerMonitor OwnerMonitor { get; }

    /// <summary>The log keys, checkpoints and monitored versions this profile holds.</summary>
    public LogStore Logs { get; }

    public PinStore Pins { get; }

    /// <summary>Checks a received message's sender key proof against this profile's pinned log keys and witnesses.</summary>
    public Keypost.Client.Reading.SenderKeyProofChecker SenderProofs { get; }

    public KeyDiscovery Discovery { get; }

    public SendPolicy Policy { get; }

    /// <summary>Signer keys for reading: held keys first; lookups only when <paramref name="lookups"/> and the profile allow.</summary>
    public async Task<SignerKeys> SignerKeysAsync(bool lookups, CancellationToken cancellationToken) =>
        new(
            await KnownSignerKeys.LoadAsync(Profile.SignerKeysPath, cancellationToken),
            Pins,
            lookups && Profile.ReadLookups ? Discovery : null,
            TimeProvider.System,
            TimeSpan.FromHours(Profile.ReadLookupPeriodHours));

    public ListedFolders Listed => new(Profile.ListedFoldersPath);

    /// <summary>The mail server login: the password comes from $KEYPOST_PASSWORD or the first line of a file.</summary>
    public MailServerConnection Server(string? passwordFile) =>
        new(Profile.Server, Profile.SubmissionPort, Profile.ImapPort, Profile.Address, Secret(passwordFile, "KEYPOST_PASSWORD", "mail password"), _ca);

    /// <summary>The user's secret key, unlocked with $KEYPOST_PASSPHRASE or the first line of a file.</summary>
    public UnlockedSecretKey UnlockKey(string? passphraseFile)
    {
        if (!File.Exists(Profile.SecretKeyPath))
        {
            throw new CliException($"no secret key at {Profile.SecretKeyPath}");
        }

        var key = SecretKey.Parse(File.ReadAllText(Profile.SecretKeyPath));
        return key.Unlock(key.IsProtected ? Secret(passphraseFile, "KEYPOST_PASSPHRASE", "key passphrase") : "");
    }

    /// <summary>
    /// The secret keys <c>keypost key rotate</c> kept beside the current one (secret-key.FINGERPRINT.asc), unlocked
    /// with the same passphrase, so mail encrypted to an earlier key still reads after a rotation.
    /// </summary>
    public IReadOnlyList<UnlockedSecretKey> UnlockEarlierKeys(string? passphraseFile)
    {
        var earlier = new List<UnlockedSecretKey>();
        foreach (var path in System.IO.Directory.EnumerateFiles(Profile.Home, "secret-key.*.asc").Order(StringComparer.Ordinal))
        {
            var key = SecretKey.Parse(File.ReadAllText(path));
            try
            {
                earlier.Add(key.Unlock(key.IsProtected ? Secret(passphraseFile, "KEYPOST_PASSPHRASE", "key passphrase") : ""));
            }
            catch (OpenPgpException e)
            {
                throw new CliException($"the earlier key in {path} does not unlock with this passphrase: {e.Message}");
            }
        }

        return earlier;
    }

    private static string Secret(string? file, string variable, string what) =>
        file is not null ? File.ReadLines(file).FirstOrDefault() ?? ""
        : Environment.GetEnvironmentVariable(variable) ?? throw new CliException($"give the {what} in ${variable} or with a file option");

    public void Dispose()
    {
        _http.Dispose();
        _ca?.Dispose();
    }
}
