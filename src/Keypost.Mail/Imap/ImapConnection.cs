using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Keypost.Mail.Imap;

/// <summary>The bytes of one IMAP session: a bounded input buffer split at CRLF, exact literal reads, buffered output.</summary>
internal sealed class ImapConnection : IAsyncDisposable
{
    private const int BufferSize = 16 * 1024;
    private static readonly byte[] Crlf = "\r\n"u8.ToArray();

    private readonly Socket _socket;
    private readonly byte[] _input = new byte[BufferSize];
    private Stream _stream;
    private int _start;
    private int _end;
    private bool _flushBeforeRead = true;

    public ImapConnection(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
    }

    public bool IsSecure { get; private set; }

    public TimeSpan ReadTimeout { get; set; } = TimeSpan.FromMinutes(1);

    public MemoryStream Output { get; } = new();

    public void Write(string ascii) => Output.Write(Encoding.UTF8.GetBytes(ascii));

    public void WriteLine(string line)
    {
        Write(line);
        Output.Write(Crlf);
    }

    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        if (Output.Length == 0)
        {
            return;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(5));
        try
        {
            await _stream.WriteAsync(Output.GetBuffer().AsMemory(0, (int)Output.Length), timeout.Token);
            await _stream.FlushAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException("the client read nothing in time");
        }

        Output.SetLength(0);
    }

    public async Task UpgradeToTlsAsync(X509Certificate2 certificate, CancellationToken cancellationToken)
    {
        await FlushAsync(cancellationToken);

        // RFC 9051 §6.2.1 and CVE-2011-0411: bytes pipelined after STARTTLS arrived in plaintext and could have
        // been injected by a man in the middle, so they are thrown away.
        _start = 0;
        _end = 0;
        var ssl = new SslStream(_stream, leaveInnerStreamOpen: false);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(1));
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
    /// One line without its CRLF, or null at end of stream. Throws <see cref="ImapLineTooLongException"/> when no CRLF
    /// comes within <paramref name="maxOctets"/>: the rest is never buffered.
    /// </summary>
    public async Task<byte[]?> ReadLineAsync(int maxOctets, CancellationToken cancellationToken) =>
        await ReadLineAsync(maxOctets, flush: true, cancellationToken);

    /// <summary>
    /// As above; with <paramref name="flush"/> false the read never touches the output buffer, so another task may
    /// write and flush responses meanwhile (IDLE pushes updates while a read for DONE is pending).
    /// </summary>
    public async Task<byte[]?> ReadLineAsync(int maxOctets, bool flush, CancellationToken cancellationToken)
    {
        _flushBeforeRead = flush;
        var scanFrom = 0;
        while (true)
        {
            var pending = _input.AsSpan(_start, _end - _start);
            var index = pending[scanFrom..].IndexOf(Crlf);
            if (index >= 0)
            {
                index += scanFrom;
                if (index > maxOctets)
                {
                    throw new ImapLineTooLongException();
                }

                var bytes = pending[..index].ToArray();
                _start += index + 2;
                return bytes;
            }

            if (pending.Length > maxOctets)
            {
                throw new ImapLineTooLongException();
            }

            if (pending.Length == _input.Length)
            {
                // A line longer than the buffer: accumulate it elsewhere, still bounded by maxOctets.
                return await ReadLongLineAsync(maxOctets, cancellationToken);
            }

            scanFrom = Math.Max(0, pending.Length - 1);
            if (!await FillAsync(cancellationToken))
            {
                return null;
            }
        }
    }

    private async Task<byte[]?> ReadLongLineAsync(int maxOctets, CancellationToken cancellationToken)
    {
        using var line = new MemoryStream();
        while (true)
        {
            var pending = _input.AsSpan(_start, _end - _start);
            var index = pending.IndexOf(Crlf);
            if (index >= 0)
            {
                line.Write(pending[..index]);
                _start += index + 2;
                if (line.Length > maxOctets)
                {
                    throw new ImapLineTooLongException();
                }

                return line.ToArray();
            }

            // Keep a trailing CR: it may be half of the CRLF.
            var take = pending.Length > 0 && pending[^1] == (byte)'\r' ? pending.Length - 1 : pending.Length;
            line.Write(pending[..take]);
            _start += take;
            if (line.Length > maxOctets)
            {
                throw new ImapLineTooLongException();
            }

            if (!await FillAsync(cancellationToken))
            {
                return null;
            }
        }
    }

    /// <summary>Reads exactly <paramref name="count"/> octets (a literal), or null at end of stream.</summary>
    public async Task<byte[]?> ReadExactAsync(int count, CancellationToken cancellationToken)
    {
        _flushBeforeRead = true;
        var result = new byte[count];
        var have = 0;
        while (have < count)
        {
            if (_end == _start && !await FillAsync(cancellationToken))
            {
                return null;
            }

            var n = Math.Min(count - have, _end - _start);
            Buffer.BlockCopy(_input, _start, result, have, n);
            _start += n;
            have += n;
        }

        return result;
    }

    private async Task<bool> FillAsync(CancellationToken cancellationToken)
    {
        if (_flushBeforeRead)
        {
            await FlushAsync(cancellationToken);
        }

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
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already gone.
        }

        await _stream.DisposeAsync();
        await Output.DisposeAsync();
        _socket.Dispose();
    }
}
