using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Keypost.Server.Acme;
using Keypost.Server.Configuration;
using Keypost.Server.Tls;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Keypost.Server.Hosting;

/// <summary>
/// Keeps the TLS certificates current while the server runs: picks up certificate files another tool renewed,
/// and with <c>acme</c> configured orders a new certificate from the CA when the one served is a stand-in, does
/// not cover every name, or expires within <c>acme.renewDaysBeforeExpiry</c>; HTTPS, SMTP and IMAP serve it from
/// their next handshake on, without a restart.
/// </summary>
internal sealed class CertificateService(KeypostConfig config, ServerParts parts, ILogger<CertificateService> logger) : BackgroundService
{
    // A failed order is retried sooner than the regular check, but not so often that the CA's rate limits bite.
    private static readonly TimeSpan RetryAfterFailure = TimeSpan.FromMinutes(5);

    private AcmeClient? _acme;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = TimeSpan.FromSeconds(config.Acme.CheckIntervalSeconds);
        while (!stoppingToken.IsCancellationRequested)
        {
            var wait = interval;
            foreach (var certificate in parts.Certificates)
            {
                certificate.ReloadIfChanged();
            }

            if (config.Acme.Enabled && parts.HttpCertificate is { } served && NeedsRenewal(served.Current))
            {
                wait = await TryRenewAsync(served, interval, stoppingToken);
            }

            await Task.Delay(wait, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    /// <summary>
    /// Orders a certificate; returns how long to wait before the next check. A method of its own: with its
    /// <c>catch (HttpRequestException)</c> in <see cref="ExecuteAsync"/>, compiling that loop mapped System.Net.Http
    /// into every server, ACME or not (idle memory, issue #14 item 5).
    /// </summary>
    private async Task<TimeSpan> TryRenewAsync(ReloadableCertificate served, TimeSpan interval, CancellationToken stoppingToken)
    {
        try
        {
            await RenewAsync(served, stoppingToken);
            return interval;
        }
        catch (Exception e) when (e is AcmeException or HttpRequestException or IOException or TaskCanceledException && !stoppingToken.IsCancellationRequested)
        {
            logger.LogError(e, "ACME: ordering a certificate from {Directory} failed; retrying in {Minutes} minutes", config.Acme.DirectoryUrl, RetryAfterFailure.TotalMinutes);
            return interval < RetryAfterFailure ? interval : RetryAfterFailure;
        }
    }

    private bool NeedsRenewal(X509Certificate2 current)
    {
        if (current.SubjectName.RawData.AsSpan().SequenceEqual(current.IssuerName.RawData))
        {
            return true; // the stand-in quickstart (or the first start) wrote
        }

        if (current.NotAfter.ToUniversalTime() - DateTime.UtcNow < TimeSpan.FromDays(config.Acme.RenewDaysBeforeExpiry))
        {
            return true;
        }

        return config.CertificateNames.Any(name => !current.MatchesHostname(name));
    }

    private async Task RenewAsync(ReloadableCertificate served, CancellationToken cancellationToken)
    {
        _acme ??= CreateClient();
        using var key = TlsKeyFiles.LoadKey(served.KeyFile);
        var chain = await _acme.OrderCertificateAsync(config.CertificateNames, key, config.Acme.Email, cancellationToken);
        TlsKeyFiles.WriteAtomically(served.CertificateFile, chain);
        foreach (var certificate in parts.Certificates.Where(c => c.CertificateFile == served.CertificateFile))
        {
            certificate.ReloadIfChanged(force: true);
        }
    }

    private AcmeClient CreateClient()
    {
        var accountKeyFile = Path.Combine(config.AcmeDirectory, "account.key");
        TlsKeyFiles.EnsureKey(accountKeyFile);
        var handler = new SocketsHttpHandler();
        if (config.Acme.DirectoryCaFile is { } caFile)
        {
            // A test CA (pebble's) instead of the system store, for the ACME server's own HTTPS only.
            var trusted = X509CertificateLoader.LoadCertificateFromFile(caFile);
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
            {
                if (certificate is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None)
                {
                    return false;
                }

                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(trusted);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return chain.Build(new X509Certificate2(certificate));
            };
        }

        var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(60) };
        return new AcmeClient(http, new Uri(config.Acme.DirectoryUrl!), new AcmeJws(TlsKeyFiles.LoadKey(accountKeyFile)), parts.Challenges, logger, TimeProvider.System);
    }
}
