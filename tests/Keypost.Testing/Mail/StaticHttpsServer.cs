using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Keypost.Testing.Mail;

/// <summary>
/// A minimal HTTPS/1.1 server on a loopback address answering every GET with one fixed body (an MTA-STS policy),
/// with the certificate the test chooses: one from a trusted CA, or an attacker's.
/// </summary>
public sealed class StaticHttpsServer : IAsyncDisposable
{
    private readonly TcpListener listener;
    private readonly X509Certificate2 certificate;
    private readonly CancellationTokenSource stop = new();
    private readonly Task accepting;
    private int requests;

    public StaticHttpsServer(IPAddress address, X509Certificate2 certificate, string body, string contentType = "text/plain")
    {
        this.certificate = certificate;
        Body = body;
        ContentType = contentType;
        listener = new TcpListener(address, 0);
        listener.Start();
        accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)listener.LocalEndpoint).Port;

    public int Requests => Volatile.Read(ref requests);

    public string Body { get; set; }

    public string ContentType { get; set; }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        listener.Stop();
        try
        {
            await accepting;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopped.
        }

        stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            var client = await listener.AcceptTcpClientAsync(stop.Token);
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                await using var ssl = new SslStream(client.GetStream());
                await ssl.AuthenticateAsServerAsync(certificate, false, false);
                var reader = new StreamReader(ssl, Encoding.ASCII);
                while (!string.IsNullOrEmpty(await reader.ReadLineAsync(stop.Token)))
                {
                    // Request line and headers: every request gets the same answer.
                }

                Interlocked.Increment(ref requests);
                var body = Encoding.UTF8.GetBytes(Body);
                var head = $"HTTP/1.1 200 OK\r\nContent-Type: {ContentType}\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n";
                await ssl.WriteAsync(Encoding.ASCII.GetBytes(head), stop.Token);
                await ssl.WriteAsync(body, stop.Token);
                await ssl.FlushAsync(stop.Token);
            }
            catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException or System.Security.Authentication.AuthenticationException)
            {
                // A client that refused our certificate (the point of some tests) or went away.
            }
        }
    }
}
