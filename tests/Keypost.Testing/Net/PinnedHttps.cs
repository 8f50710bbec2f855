using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;

namespace Keypost.Testing.Net;

/// <summary>HTTPS clients for a server under test: every host name connects to its endpoint, and only the test CA is trusted.</summary>
public static class PinnedHttps
{
    public static HttpClient Create(IPEndPoint server, X509Certificate2 trustedRoot) => new(new SocketsHttpHandler
    {
        ConnectCallback = async (_, cancellationToken) =>
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(server, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        },
        SslOptions = new SslClientAuthenticationOptions
        {
            CertificateChainPolicy = new X509ChainPolicy
            {
                TrustMode = X509ChainTrustMode.CustomRootTrust,
                CustomTrustStore = { trustedRoot },
                RevocationMode = X509RevocationMode.NoCheck,
            },
        },
    });
}
