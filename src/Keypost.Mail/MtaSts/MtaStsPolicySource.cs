using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Keypost.Mail.Delivery;
using Keypost.Mail.Dns;
using Microsoft.Extensions.Logging;

namespace Keypost.Mail.MtaSts;

/// <summary>
/// Finds a recipient domain's MTA-STS policy (RFC 8461 §3): the <c>_mta-sts</c> TXT record's id, then the policy
/// over HTTPS from <c>https://mta-sts.&lt;domain&gt;/.well-known/mta-sts.txt</c>, cached for its max_age. A cached
/// policy outlives a vanished TXT record or a failed fetch (§5.1), so an attacker who blocks either cannot turn
/// enforcement off. With <see cref="MtaStsOptions.Cache"/> the cache is also on disk and read back after a restart.
/// </summary>
public sealed class MtaStsPolicySource : IDisposable
{
    /// <summary>RFC 8461 §3.3: senders may limit the policy body; 64 KiB is what the RFC suggests.</summary>
    private const int MaxPolicyBytes = 64 * 1024;

    private readonly IMailDnsResolver dns;
    private readonly TimeProvider time;
    private readonly ILogger logger;
    private readonly TimeSpan fetchTimeout;
    private readonly PkixValidator pkix;
    private readonly int httpsPort;
    private readonly ConcurrentDictionary<string, (MtaStsPolicy Policy, DateTimeOffset Expires)> cache = new(StringComparer.OrdinalIgnoreCase);
    private readonly MtaStsPolicyCache? store;
    private readonly SemaphoreSlim loading = new(1, 1);
    private volatile bool loaded;
    private HttpClient? http;
    private object? httpLock;

    public MtaStsPolicySource(IMailDnsResolver dns, MtaStsOptions options)
    {
        this.dns = dns ?? throw new ArgumentNullException(nameof(dns));
        ArgumentNullException.ThrowIfNull(options);
        time = options.TimeProvider;
        logger = options.LoggerFactory.CreateLogger("Keypost.Mail.MtaSts");
        httpsPort = options.HttpsPort;
        store = options.Cache;
        fetchTimeout = options.FetchTimeout;
        pkix = new PkixValidator(options.ExtraTrustedRoots);
    }

    /// <summary>
    /// The policy in force for <paramref name="domain"/>, or null when it publishes none. The result's fetch error
    /// says why a published policy could not be fetched (TLS-RPT sts-policy-fetch-error / sts-policy-invalid).
    /// </summary>
    public async Task<(MtaStsPolicy? Policy, string? FetchError)> GetAsync(string domain, CancellationToken cancellationToken)
    {
        await LoadStoredAsync(cancellationToken).ConfigureAwait(false);
        var now = time.GetUtcNow();
        var cached = cache.TryGetValue(domain, out var entry) && entry.Expires > now ? entry.Policy : null;
        var txt = await dns.GetTxtAsync("_mta-sts." + domain, cancellationToken).ConfigureAwait(false);
        var id = txt.Status == DnsStatus.Ok ? MtaStsRecord.FindId(txt.Records) : null;
        if (id is null || (cached is not null && cached.Id == id))
        {
            // RFC 8461 §5.1: no (valid) record, or the same id: the cached policy, if any, stays in force.
            return (cached, null);
        }

        var (policy, error) = await FetchAsync(domain, id, cancellationToken).ConfigureAwait(false);
        if (policy is null)
        {
            logger.LogWarning("MTA-STS policy of {Domain} (id {PolicyId}) could not be fetched: {Error}; {Fallback}", domain, id, error,
                cached is null ? "delivering as if it had none (RFC 8461 §5)" : "keeping the cached policy");
            return (cached, error);
        }

        // RFC 8461 §5.1: the cached policy is replaced only by a valid new one.
        var expires = now + (policy.MaxAge < MtaStsPolicy.LongestMaxAge ? policy.MaxAge : MtaStsPolicy.LongestMaxAge);
        cache[domain] = (policy, expires);
        if (store is not null)
        {
            try
            {
                await store.SaveAsync(domain, policy, expires, cancellationToken).ConfigureAwait(false);
            }
            catch (Microsoft.Data.Sqlite.SqliteException e)
            {
                // The policy is in force in memory; only its survival across a restart is lost.
                logger.LogError(e, "MTA-STS policy of {Domain} could not be saved to the cache file; it holds until the next restart only", domain);
            }
        }

        logger.LogInformation("MTA-STS policy of {Domain}: mode {Mode}, mx {Mx}, max_age {MaxAge} s (id {PolicyId})",
            domain, policy.Mode, string.Join(" ", policy.MxPatterns), (long)policy.MaxAge.TotalSeconds, id);
        return (policy, null);
    }

    public void Dispose()
    {
        http?.Dispose();
        loading.Dispose();
    }

    /// <summary>
    /// The policy client, made at the first fetch rather than with the source: a server builds its source at start,
    /// and System.Net.Http is 1.2 MiB resident that an idle server need not map (idle memory, issue #14 item 5).
    /// </summary>
    private HttpClient Http => LazyInitializer.EnsureInitialized(ref http, ref httpLock, CreateHttpClient);

    private HttpClient CreateHttpClient()
    {
        var handler = new SocketsHttpHandler
        {
            // RFC 8461 §3.3: "HTTP 3xx redirects MUST NOT be followed".
            AllowAutoRedirect = false,
            UseProxy = false,
            ConnectTimeout = fetchTimeout,
            // The policy host is resolved through the same resolver as mail, not the system's.
            ConnectCallback = ConnectAsync,
            SslOptions = new SslClientAuthenticationOptions
            {
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                RemoteCertificateValidationCallback = (sender, certificate, chain, errors) =>
                    certificate is X509Certificate2 leaf && sender is SslStream ssl && pkix.Check(leaf, chain, errors, ssl.TargetHostName) is null,
            },
        };
        return new HttpClient(handler) { Timeout = fetchTimeout };
    }

    // RFC 8461 §5.1: the policies cached before a restart are read once, before the first lookup.
    private async Task LoadStoredAsync(CancellationToken cancellationToken)
    {
        if (store is null || loaded)
        {
            return;
        }

        await loading.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!loaded)
            {
                var stored = await store.LoadAsync(time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
                foreach (var (domain, entry) in stored)
                {
                    cache.TryAdd(domain, entry);
                }

                logger.LogInformation("MTA-STS: {Count} cached policies still in force read back", stored.Count);
                loaded = true;
            }
        }
        finally
        {
            loading.Release();
        }
    }

    private async Task<(MtaStsPolicy? Policy, string? Error)> FetchAsync(string domain, string id, CancellationToken cancellationToken)
    {
        var port = httpsPort == 443 ? "" : ":" + httpsPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var uri = new Uri($"https://mta-sts.{domain}{port}/.well-known/mta-sts.txt");
        try
        {
            using var response = await Http.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            // RFC 8461 §3.3: only a 200 counts; its media type is text/plain.
            if (response.StatusCode != HttpStatusCode.OK)
            {
                return (null, $"sts-policy-fetch-error: {uri} answered {(int)response.StatusCode}");
            }

            if (response.Content.Headers.ContentType is not MediaTypeHeaderValue { MediaType: "text/plain" })
            {
                return (null, $"sts-policy-invalid: {uri} is {response.Content.Headers.ContentType?.MediaType ?? "untyped"}, not text/plain");
            }

            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            var buffer = new byte[MaxPolicyBytes + 1];
            var total = 0;
            int read;
            while (total < buffer.Length && (read = await body.ReadAsync(buffer.AsMemory(total), cancellationToken).ConfigureAwait(false)) > 0)
            {
                total += read;
            }

            if (total > MaxPolicyBytes)
            {
                return (null, $"sts-policy-invalid: {uri} is larger than {MaxPolicyBytes} bytes");
            }

            var text = Encoding.UTF8.GetString(buffer, 0, total);
            var policy = MtaStsPolicy.Parse(text, id);
            return policy is null ? (null, $"sts-policy-invalid: {uri} is not a valid STSv1 policy") : (policy, null);
        }
        catch (HttpRequestException e)
        {
            // A failed certificate check lands here too (RFC 8460 §4.3.2.1: sts-webpki-invalid).
            var kind = e.HttpRequestError == HttpRequestError.SecureConnectionError ? "sts-webpki-invalid" : "sts-policy-fetch-error";
            return (null, $"{kind}: {uri}: {e.Message}");
        }
        catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            return (null, $"sts-policy-fetch-error: {uri}: timed out ({e.Message})");
        }
    }

    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var host = context.DnsEndPoint.Host;
        var addresses = await dns.GetAddressesAsync(host, cancellationToken).ConfigureAwait(false);
        if (addresses.Records.Count == 0)
        {
            throw new HttpRequestException(HttpRequestError.NameResolutionError, $"{host}: {addresses.Error ?? addresses.Status.ToString()}");
        }

        SocketException? last = null;
        foreach (var address in addresses.Records)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, context.DnsEndPoint.Port), cancellationToken).ConfigureAwait(false);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException e)
            {
                socket.Dispose();
                last = e;
            }
        }

        throw new HttpRequestException(HttpRequestError.ConnectionError, $"cannot connect to {host}: {last?.Message}", last);
    }
}
