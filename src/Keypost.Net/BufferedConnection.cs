using System.Buffers;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace Keypost.Net;

/// <summary>
/// The bytes of one client connection, shared by the line protocols: a bounded input buffer the protocol parses
/// in place, output held back until flushed, time limits on every read and write, and the switch to TLS.
/// </summary>
internal abstract class BufferedConnection : IAsyncDisposable
{
    protected const int BufferSize = 16 * 1024;

    private readonly Socket _socket;
    private Stream _stream;
    private int _inputReturned;

    protected BufferedConnection(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
    }

    public bool IsSecure { get; private set; }

    /// <summary>How long the client may stay silent (and how long the TLS handshake may take).</summary>
    public TimeSpan ReadTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long the client may take to read what is flushed.</summary>
    public TimeSpan WriteTimeout { get; set; } = TimeSpan.FromMinutes(5);

    public MemoryStream Output { get; } = new();

    /// <summary>Octets sent so far: a command that fails after flushing part of its answer can tell.</summary>
    public long Flushed { get; private set; }

    /// <summary>The parse window: unread input lies in <c>Input[Start..End]</c>.</summary>
    /// <remarks>
    /// From the shared pool, back to it when the connection is disposed: an SMTP client that sends one message per
    /// connection made this the largest allocation per message (issue #14).
    /// </remarks>
    protected byte[] Input { get; } = ArrayPool<byte>.Shared.Rent(BufferSize);

    protected int Start { get; set; }

    protected int End { get; set; }

    /// <summary>
    /// True when the peer has closed its side (the socket is readable with nothing to read), seen without reading: a
    /// long command can stop early for a client that has gone. Data or a TLS alert still queued reads as open.
    /// </summary>
    public bool PeerHasClosed()
    {
        try
        {
            return _socket.Poll(0, SelectMode.SelectRead) && _socket.Available == 0;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return true;
        }
    }

    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        if (Output.Length == 0)
        {
            return;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(WriteTimeout);
        try
        {
            await _stream.WriteAsync(Output.GetBuffer().AsMemory(0, (int)Output.Length), timeout.Token);
            await _stream.FlushAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException("the client read nothing in time");
        }

        Flushed += Output.Length;
        Output.SetLength(0);
    }

    public async Task UpgradeToTlsAsync(X509Certificate2 certificate, CancellationToken cancellationToken)
    {
        await FlushAsync(cancellationToken);

        // RFC 3207 §4.2, RFC 9051 §6.2.1 and CVE-2011-0411: whatever the client sent after STARTTLS arrived in
        // plaintext and could have been injected by a man in the middle, so it is thrown away, never parsed.
        Start = 0;
        End = 0;

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
    /// Moves unread input to the front and reads more after it; false at end of stream. With
    /// <paramref name="flushFirst"/>, pending output goes out before waiting for the client.
    /// </summary>
    protected async Task<bool> FillAsync(bool flushFirst, CancellationToken cancellationToken)
    {
        if (flushFirst)
        {
            await FlushAsync(cancellationToken);
        }

        if (Start > 0)
        {
            Buffer.BlockCopy(Input, Start, Input, 0, End - Start);
            End -= Start;
            Start = 0;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ReadTimeout);
        int read;
        try
        {
            read = await _stream.ReadAsync(Input.AsMemory(End), timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException("the client sent nothing in time");
        }

        End += read;
        return read > 0;
    }

    /// <summary>
    /// A lingering close, so the client reads the last reply (a 221, or a 5xx/421 ending the session): closing a
    /// socket with unread input makes TCP send RST, and a RST can make the client's TCP discard the reply it had
    /// received but not yet read. So: say we are done sending (FIN after the reply), then read and drop what the
    /// client still sends, until it closes, <paramref name="linger"/> passes or <paramref name="maxBytes"/> arrive.
    /// </summary>
    public async Task LingerAsync(TimeSpan linger, long maxBytes, CancellationToken cancellationToken)
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return;
        }

        // The deadline is a task that is waited for, never one that throws: at the linger's end the caller disposes
        // the socket, which ends a receive still pending.
        using var receive = new QuietReceive();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var deadline = Task.Delay(linger, stop.Token);
        try
        {
            for (long total = 0; total < maxBytes;)
            {
                var read = receive.StartOn(_socket);
                if (await Task.WhenAny(read, deadline) != read || read.Result <= 0)
                {
                    return; // Lingered long enough, closed, or gone.
                }

                total += read.Result;
            }
        }
        finally
        {
            // Frees the deadline's timer now rather than when the linger would have ended.
            await stop.CancelAsync();
        }
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
        if (Interlocked.Exchange(ref _inputReturned, 1) == 0)
        {
            ArrayPool<byte>.Shared.Return(Input);
        }
    }

    /// <summary>
    /// A receive that reports a reset or an abort as -1 rather than as an exception. A closing connection meets them
    /// routinely (a client that closes with our last reply unread), and <c>Socket.ReceiveAsync</c> threw one exception
    /// per connection: 4% of the CPU of SMTP acceptance in bench/smtp (issue #14).
    /// </summary>
    private sealed class QuietReceive : SocketAsyncEventArgs
    {
        private TaskCompletionSource<int>? _done;

        // What arrives now is read only to be dropped; a receive still pending when the socket closes may write here
        // afterwards, so this is never the pooled input buffer.
        public QuietReceive()
            : base(unsafeSuppressExecutionContextFlow: true) => SetBuffer(new byte[512]);

        public Task<int> StartOn(Socket socket)
        {
            var done = _done = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
            try
            {
                if (!socket.ReceiveAsync(this))
                {
                    OnCompleted(this);
                }
            }
            catch (ObjectDisposedException)
            {
                return Task.FromResult(-1);
            }

            return done.Task;
        }

        protected override void OnCompleted(SocketAsyncEventArgs e) =>
            _done!.TrySetResult(e.SocketError == SocketError.Success ? e.BytesTransferred : -1);
    }
}
