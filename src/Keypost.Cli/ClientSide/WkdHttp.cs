using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Keypost.Mail.Dns;

namespace Keypost.Cli.ClientSide;

/// <summary>
/// HTTPS for WKD lookups. On a real network: the system's resolver and trust store, no redirects. On a test bed
/// (the demo, tests): names answered by a given DNS server, port 443 mapped to another port, a private CA. A
/// name the DNS server does not know fails as "not found", which is what lets the client fall back from the
/// advanced to the direct WKD method (draft-koch-openpgp-webkey-service §3.1).
/// </summary>
public static class WkdHttp
{
    public static HttpClient CreateSystem() =>
        new(new SocketsHttpHandler { AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(30) };

    public static HttpClient CreateHttpClient(IMailDnsResolver dns, int httpsPort, X509Certificate2? ca) =>
        new(new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            ConnectCallback = async (context, cancellationToken) =>
            {
                var answer = await dns.GetAddressesAsync(context.DnsEndPoint.Host, cancellationToken);
                if (answer.Status != DnsStatus.Ok)
                {
                    throw new HttpRequestException(HttpRequestError.NameResolutionError, $"{context.DnsEndPoint.Host}: {answer.Status}");
                }

                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    var port = context.DnsEndPoint.Port == 443 ? httpsPort : context.DnsEndPoint.Port;
                    await socket.ConnectAsync(new IPEndPoint(answer.Records[0], port), cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
            SslOptions = ca is null ? new SslClientAuthenticationOptions() : new SslClientAuthenticationOptions
            {
                CertificateChainPolicy = new X509ChainPolicy
                {
                    TrustMode = X509ChainTrustMode.CustomRootTrust,
                    CustomTrustStore = { ca },
                    RevocationMode = X509RevocationMode.NoCheck,
                },
            },
        })
        { Timeout = TimeSpan.FromSeconds(30) };
}
