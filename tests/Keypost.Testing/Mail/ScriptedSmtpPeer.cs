using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Keypost.Testing.Mail;

/// <summary>
/// The one scripted SMTP peer of the tests (another domain's exchanger): listens on loopback (port 0, or an
/// address and port a test's MX points at) and answers from a script the test can change between attempts:
/// replies to MAIL, RCPT (per address, e.g. 451 until the test lets mail through), DATA and end-of-data, dropping
/// the connection mid-DATA, and STARTTLS with a self-signed or given certificate, or none.
/// </summary>
public sealed class ScriptedSmtpPeer : IAsyncDisposable
{
    private readonly TcpListener listener;
    private readonly CancellationTokenSource stop = new();
    private readonly X509Certificate2? certificate;
    private readonly SslStreamCertificateContext? certificateContext;
    private readonly Task acceptLoop;
    private int connections;
    private int refusals;
    private int disposed;

    public ScriptedSmtpPeer(bool offerStartTls = true)
        : this(new IPEndPoint(IPAddress.Loopback, 0), offerStartTls)
    {
    }

    /// <summary>A peer on <paramref name="endPoint"/>, offering STARTTLS with a self-signed certificate or not at all.</summary>
    public ScriptedSmtpPeer(IPEndPoint endPoint, bool offerStartTls = true)
    {
        certificate = offerStartTls ? SelfSigned() : null;
        listener = new TcpListener(endPoint);
        listener.Start();
        acceptLoop = AcceptLoopAsync();
    }

    /// <summary>A peer offering STARTTLS with <paramref name="serverCertificate"/>, sending <paramref name="chain"/> after it.</summary>
    public ScriptedSmtpPeer(X509Certificate2 serverCertificate, X509Certificate2Collection? chain = null)
    {
        certificate = serverCertificate;
        certificateContext = SslStreamCertificateContext.Create(serverCertificate, chain ?? [], offline: true);
        listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        acceptLoop = AcceptLoopAsync();
    }

    public int Port => ((IPEndPoint)listener.LocalEndpoint).Port;

    public int Connections => Volatile.Read(ref connections);

    /// <summary>RCPT commands answered with anything but 2xx.</summary>
    public int Refusals => Volatile.Read(ref refusals);

    public ConcurrentQueue<PeerMessage> Messages { get; } = new();

    public ConcurrentQueue<string> Commands { get; } = new();

    /// <summary>The reply to RCPT for an address, or null for "250 2.1.5 Ok".</summary>
    public Func<string, string?> RcptReply { get; set; } = _ => null;

    public string? DataReply { get; set; }

    public string EndOfDataReply { get; set; } = "250 2.0.0 Ok: queued";

    public bool DropMidData { get; set; }

    /// <summary>Advertise REQUIRETLS (RFC 8689) in the EHLO reply after STARTTLS.</summary>
    public bool OfferRequireTls { get; set; }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 1)
        {
            return; // A harness and its test may both dispose the same peer.
        }

        await stop.CancelAsync();
        listener.Stop();
        try
        {
            await acceptLoop;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopped.
        }

        stop.Dispose();
        certificate?.Dispose();
    }

    private static X509Certificate2 SelfSigned()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=mx.peer.test", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        // Re-import so the private key is usable by SslStream on Linux.
        return X509CertificateLoader.LoadPkcs12(cert.Export(X509ContentType.Pfx), null);
    }

    private async Task AcceptLoopAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            var client = await listener.AcceptTcpClientAsync(stop.Token);
            Interlocked.Increment(ref connections);
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                await ConverseAsync(client.GetStream());
            }
            catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
            {
                // The client went away.
            }
        }
    }

    private async Task ConverseAsync(Stream stream)
    {
        var tls = false;
        string? from = null;
        var rcpts = new List<string>();
        await WriteAsync(stream, "220 mx.peer.test ESMTP scripted");
        while (true)
        {
            var line = await ReadLineAsync(stream);
            if (line is null)
            {
                return;
            }

            Commands.Enqueue(line);
            var verb = line.Split(' ', 2)[0].ToUpperInvariant();
            switch (verb)
            {
                case "EHLO":
                    var ext = new List<string> { "250-mx.peer.test", "250-8BITMIME", "250-SMTPUTF8", "250-ENHANCEDSTATUSCODES" };
                    if (certificate is not null && !tls)
                    {
                        ext.Add("250-STARTTLS");
                    }

                    if (OfferRequireTls && tls)
                    {
                        // RFC 8689 §3: offered only inside TLS.
                        ext.Add("250-REQUIRETLS");
                    }

                    ext.Add("250 SIZE 10000000");
                    await WriteAsync(stream, string.Join("\r\n", ext));
                    break;
                case "STARTTLS":
                    await WriteAsync(stream, "220 2.0.0 Ready to start TLS");
                    var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                    await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
                    {
                        ServerCertificate = certificateContext is null ? certificate : null,
                        ServerCertificateContext = certificateContext,
                    });
                    stream = ssl;
                    tls = true;
                    from = null;
                    rcpts.Clear();
                    break;
                case "MAIL":
                    from = Between(line, '<', '>');
                    rcpts.Clear();
                    await WriteAsync(stream, "250 2.1.0 Ok");
                    break;
                case "RCPT":
                    var address = Between(line, '<', '>');
                    var reply = RcptReply(address);
                    if (reply is null)
                    {
                        rcpts.Add(address);
                        reply = "250 2.1.5 Ok";
                    }
                    else
                    {
                        Interlocked.Increment(ref refusals);
                    }

                    await WriteAsync(stream, reply);
                    break;
                case "DATA":
                    if (rcpts.Count == 0)
                    {
                        // RFC 5321 §3.3: DATA without one accepted recipient is refused.
                        await WriteAsync(stream, "554 5.5.1 No valid recipients");
                        break;
                    }

                    if (DataReply is not null)
                    {
                        await WriteAsync(stream, DataReply);
                        break;
                    }

                    await WriteAsync(stream, "354 End data with <CR><LF>.<CR><LF>");
                    var data = await ReadDataAsync(stream);
                    if (data is null)
                    {
                        return;
                    }

                    if (EndOfDataReply.StartsWith('2'))
                    {
                        Messages.Enqueue(new PeerMessage(from ?? "", rcpts.ToList(), data, tls));
                    }

                    await WriteAsync(stream, EndOfDataReply);
                    break;
                case "RSET":
                    from = null;
                    rcpts.Clear();
                    await WriteAsync(stream, "250 2.0.0 Ok");
                    break;
                case "QUIT":
                    await WriteAsync(stream, "221 2.0.0 Bye");
                    return;
                default:
                    await WriteAsync(stream, "250 2.0.0 Ok");
                    break;
            }
        }
    }

    private async Task<string?> ReadDataAsync(Stream stream)
    {
        var data = new StringBuilder();
        var lines = 0;
        while (true)
        {
            var line = await ReadLineAsync(stream);
            if (line is null)
            {
                return null;
            }

            if (DropMidData && ++lines == 2)
            {
                return null; // Hang up in the middle of the message.
            }

            if (line == ".")
            {
                return data.ToString();
            }

            // RFC 5321 §4.5.2: undo dot-stuffing.
            data.Append(line.StartsWith('.') ? line[1..] : line).Append("\r\n");
        }
    }

    private static string Between(string line, char open, char close)
    {
        var start = line.IndexOf(open, StringComparison.Ordinal);
        var end = line.IndexOf(close, start + 1);
        return start >= 0 && end > start ? line[(start + 1)..end] : "";
    }

    private async Task WriteAsync(Stream stream, string reply)
    {
        await stream.WriteAsync(Encoding.UTF8.GetBytes(reply + "\r\n"), stop.Token);
        await stream.FlushAsync(stop.Token);
    }

    // Byte at a time: nothing is read ahead, so the switch to TLS after STARTTLS loses no bytes.
    private async Task<string?> ReadLineAsync(Stream stream)
    {
        var bytes = new List<byte>();
        var one = new byte[1];
        while (true)
        {
            var n = await stream.ReadAsync(one, stop.Token);
            if (n == 0)
            {
                return null;
            }

            if (one[0] == '\n')
            {
                if (bytes.Count > 0 && bytes[^1] == '\r')
                {
                    bytes.RemoveAt(bytes.Count - 1);
                }

                return Encoding.UTF8.GetString(bytes.ToArray());
            }

            bytes.Add(one[0]);
        }
    }
}
