using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace Keypost.Mail.Smtp;

/// <summary>
/// The bytes of one SMTP session: a bounded input buffer split at CRLF only, and replies held back until the
/// client's pipelined commands are used up (RFC 2920 §3.2).
/// </summary>
internal sealed class SmtpConnection : IAsyncDisposable
{
    private const int BufferSize = 16 * 1024;
    private static readonly byte[] Crlf = "\r\n"u8.ToArray();

    private readonly Socket _socket;
    private readonly byte[] _input = new byte[BufferSize];
    private readonly MemoryStream _output = new();
    private Stream _stream;
    private int _start;
    private int _end;

    public SmtpConnection(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        RemoteAddress = (socket.RemoteEndPoint as IPEndPoint)?.Address ?? IPAddress.None;
    }

    public IPAddress RemoteAddress { get; }

    public bool IsSecure { get; private set; }

    public TimeSpan ReadTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The longest line <see cref="ReadLineAsync"/> can buffer.</summary>
    public static int MaxLineCapacity => BufferSize;

    public void Write(SmtpReply reply) => _output.Write(reply.ToBytes());

    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        if (_output.Length == 0)
        {
            return;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ReadTimeout);
        try
        {
            await _stream.WriteAsync(_output.GetBuffer().AsMemory(0, (int)_output.Length), timeout.Token);
            await _stream.FlushAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException("the client read nothing in time");
        }

        _output.SetLength(0);
    }

    public async Task UpgradeToTlsAsync(X509Certificate2 certificate, CancellationToken cancellationToken)
    {
        await FlushAsync(cancellationToken);

        // RFC 3207 §4.2 and CVE-2011-0411: whatever the client sent after STARTTLS arrived in plaintext and
        // could have been injected by a man in the middle, so it is thrown away, never read as a command.
        _start = 0;
        _end = 0;

        var ssl = new SslStream(_stream, leaveInnerStreamOpen: false);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ReadTimeout);
        try
        {
            await ssl.AuthenticateAsServerAsync(
                new SslServerAuthenticationOptions
                {
                    ServerCertificate = certificate,
                    EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                    ClientCertificateRequired = false,
                    CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                },
                timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            await ssl.DisposeAsync();
            throw new IOException("the TLS handshake did not finish in time");
        }
        _stream = ssl;
        IsSecure = true;
    }

    /// <summary>
    /// Reads one line ended by CRLF (RFC 5321 §2.3.8); a bare CR or LF stays inside the line. At most
    /// <paramref name="maxOctets"/> octets including CRLF are buffered.
    /// </summary>
    public async Task<SmtpLine> ReadLineAsync(int maxOctets, CancellationToken cancellationToken)
    {
        var scanFrom = 0;
        while (true)
        {
            var pending = _input.AsSpan(_start, _end - _start);
            var index = pending[scanFrom..].IndexOf(Crlf);
            if (index >= 0)
            {
                index += scanFrom;
                var bytes = pending[..index].ToArray();
                _start += index + 2;
                return new SmtpLine(index + 2 > maxOctets ? SmtpLineStatus.TooLong : SmtpLineStatus.Line, bytes);
            }

            if (pending.Length >= maxOctets)
            {
                return new SmtpLine(SmtpLineStatus.Overflow, []);
            }

            scanFrom = Math.Max(0, pending.Length - 1);
            if (!await FillAsync(cancellationToken))
            {
                return new SmtpLine(SmtpLineStatus.EndOfStream, []);
            }
        }
    }

    /// <summary>Reads the next line of message data, or the first buffer-full of a longer line.</summary>
    public async Task<SmtpDataSegment> ReadDataSegmentAsync(CancellationToken cancellationToken)
    {
        var scanFrom = 0;
        while (true)
        {
            var pending = _input.AsSpan(_start, _end - _start);
            var index = pending[scanFrom..].IndexOf(Crlf);
            if (index >= 0)
            {
                index += scanFrom;
                var line = _input.AsMemory(_start, index);
                _start += index + 2;
                return new SmtpDataSegment(line, EndsLine: true, EndOfStream: false);
            }

            if (pending.Length == _input.Length)
            {
                // A trailing CR may be the first half of a CRLF: keep it for the next read.
                var take = pending[^1] == (byte)'\r' ? pending.Length - 1 : pending.Length;
                var part = _input.AsMemory(_start, take);
                _start += take;
                return new SmtpDataSegment(part, EndsLine: false, EndOfStream: false);
            }

            scanFrom = Math.Max(0, pending.Length - 1);
            if (!await FillAsync(cancellationToken))
            {
                return new SmtpDataSegment(ReadOnlyMemory<byte>.Empty, EndsLine: false, EndOfStream: true);
            }
        }
    }

    private async Task<bool> FillAsync(CancellationToken cancellationToken)
    {
        // Replies wait until the client's pipelined commands are all read (RFC 2920 §3.2).
        await FlushAsync(cancellationToken);
        if (_start > 0)
        {
            Buffer.BlockCopy(_input, _start, _input, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ReadTimeout);
        int read;
        try
        {
            read = await _stream.ReadAsync(_input.AsMemory(_end), timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException("the client sent nothing in time");
        }

        _end += read;
        return read > 0;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
            // Already gone.
        }
        catch (ObjectDisposedException)
        {
            // Already closed.
        }

        await _stream.DisposeAsync();
        await _output.DisposeAsync();
        _socket.Dispose();
    }
}
