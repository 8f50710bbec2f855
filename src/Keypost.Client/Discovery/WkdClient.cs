using System.Net;
using System.Net.Sockets;
using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;
using Keypost.Core.Wkd;
using Microsoft.Extensions.Caching.Memory;

namespace Keypost.Client.Discovery;

/// <summary>
/// Finds an address's certificate the way draft-koch-openpgp-webkey-service §3.1 says: the advanced method
/// first, the direct method only when openpgpkey.DOMAIN does not exist in DNS (a timeout, TLS failure or 404
/// is an answer, not a reason to try elsewhere). HTTPS only, a size cap, and only a certificate that carries
/// the address is kept, minimised to it.
/// </summary>
public sealed class WkdClient(HttpClient http, TimeProvider? clock = null, TimeSpan? cacheLifetime = null, int cacheEntries = WkdClient.DefaultCacheEntries) : IDisposable
{
    /// <summary>
    /// Most answers kept at once. The gateway looks up every recipient of every message it encrypts, for as long as
    /// it runs: an unbounded cache would grow with every address ever written to.
    /// </summary>
    public const int DefaultCacheEntries = 10_000;

    /// <summary>Largest answer read; a directory has no reason to send more for one address.</summary>
    public const int MaxResponseBytes = 256 * 1024;

    /// <summary>How long an answer (a key or "none") is reused before asking the domain again.</summary>
    public static readonly TimeSpan DefaultCacheLifetime = TimeSpan.FromMinutes(15);

    private readonly TimeProvider _clock = clock ?? TimeProvider.System;
    private readonly TimeSpan _cacheLifetime = cacheLifetime ?? DefaultCacheLifetime;
    // Microsoft.Extensions.Caching.Memory bounds and evicts; freshness is judged with this client's TimeProvider, so
    // an entry's own expiry is kept beside its answer.
    private readonly MemoryCache _cache = new(new MemoryCacheOptions { SizeLimit = Math.Max(1, cacheEntries) });

    /// <summary>
    /// The address's key, from the cache while it is fresh. Only answers are cached: a failure (timeout, TLS,
    /// a refused answer) is asked again next time.
    /// </summary>
    public async Task<WkdLookupResult> LookupAsync(EmailAddress address, CancellationToken cancellationToken)
    {
        var now = _clock.GetUtcNow();
        if (_cache.TryGetValue(address.Canonical, out CachedAnswer? cached) && cached!.Expires > now)
        {
            return cached.Result;
        }

        var result = await LookupUncachedAsync(address, cancellationToken);
        if (_cacheLifetime > TimeSpan.Zero)
        {
            _cache.Set(address.Canonical, new CachedAnswer(result, now + _cacheLifetime), new MemoryCacheEntryOptions { Size = 1, AbsoluteExpirationRelativeToNow = _cacheLifetime });
        }

        return result;
    }

    public void Dispose() => _cache.Dispose();

    private sealed record CachedAnswer(WkdLookupResult Result, DateTimeOffset Expires);

    private async Task<WkdLookupResult> LookupUncachedAsync(EmailAddress address, CancellationToken cancellationToken)
    {
        try
        {
            return await FetchAsync(address, WkdUrls.Advanced(address), WkdMethod.Advanced, cancellationToken);
        }
        catch (HttpRequestException e) when (IsNameNotFound(e))
        {
            // §3.1: openpgpkey.DOMAIN does not exist, so the direct method applies (below).
        }

        var direct = WkdUrls.Direct(address);
        try
        {
            return await FetchAsync(address, direct, WkdMethod.Direct, cancellationToken);
        }
        catch (HttpRequestException e) when (IsNameNotFound(e))
        {
            // A domain that publishes no WKD host at all simply has no key to offer.
            return WkdLookupResult.NotFound(address, WkdMethod.Direct, direct);
        }
    }

    private async Task<WkdLookupResult> FetchAsync(EmailAddress address, Uri url, WkdMethod method, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (response.RequestMessage?.RequestUri?.Scheme != Uri.UriSchemeHttps)
        {
            throw new WkdException($"{url.Host} redirected the lookup away from HTTPS");
        }

        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return WkdLookupResult.NotFound(address, method, url);
        }

        if (!response.IsSuccessStatusCode)
        {
            throw new WkdException($"{url.Host} answered {(int)response.StatusCode} {response.ReasonPhrase}");
        }

        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        byte[] data;
        try
        {
            data = await OpenPgpInput.ReadCappedAsync(body, MaxResponseBytes, cancellationToken);
        }
        catch (OpenPgpException e) when (e.Error == OpenPgpError.TooLarge)
        {
            throw new WkdException($"{url.Host} sent more than {MaxResponseBytes / 1024} KiB for one address");
        }

        var certificate = Certificate.Parse(data, MaxResponseBytes);
        if (!certificate.HasUserIdFor(address))
        {
            throw new OpenPgpException(OpenPgpError.NoUserIdForAddress, $"the key {url.Host} serves for {address} carries no user ID for that address");
        }

        return WkdLookupResult.Found(address, method, url, CertificateMinimizer.Minimize(certificate, address), data);
    }

    // The handler may wrap the resolver's failure (a custom ConnectCallback's exception becomes the inner one).
    private static bool IsNameNotFound(Exception? e) => e switch
    {
        null => false,
        HttpRequestException { HttpRequestError: HttpRequestError.NameResolutionError } => true,
        SocketException { SocketErrorCode: SocketError.HostNotFound or SocketError.NoData } => true,
        _ => IsNameNotFound(e.InnerException),
    };
}
