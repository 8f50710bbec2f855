using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Keypost.Mail.Dns;

namespace Keypost.Cli.Demo;

/// <summary>
/// HTTPS as a WKD client does it, but with names answered by the demo's DNS server and port 443 mapped to
/// the demo's HTTPS port. A name the DNS server does not know fails as "not found", which is what lets the
/// client fall back from the advanced to the direct WKD method (draft-koch-openpgp-webkey-service §3.1).
/// </summary>
public static class DemoNetwork
{
    public static HttpClient CreateHttpClient(IMailDnsResolver dns, int httpsPort, X509Certificate2 ca) =>
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
            SslOptions = new SslClientAuthenticationOptions
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
