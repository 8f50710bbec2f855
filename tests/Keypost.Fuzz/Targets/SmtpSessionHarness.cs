using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Keypost.Core.Abuse;
using Keypost.Fuzz.Support;
using Keypost.Mail.Smtp;
using Keypost.Testing.Mail;

namespace Keypost.Fuzz.Targets;

/// <summary>
/// A whole inbound SMTP session per input: EHLO, then the input as the client's bytes (commands, DATA, pipelining,
/// junk), then QUIT. A finding: a command that failed inside the server (logged at Error), or a hang.
/// </summary>
internal sealed class SmtpSessionHarness : IDisposable
{
    private readonly FakeMailAccounts _accounts = new FakeMailAccounts("jedi.test").Add("luke@jedi.test", "use-the-force");

    // A STARTTLS endpoint always has a certificate (the configuration requires one); without it STARTTLS fails
    // inside the server, which is the harness's mistake, not the session's.
    private readonly X509Certificate2 _certificate = TestCertificate.Create("mx.fuzz.test");
    private readonly RecordingLogger _logger = new();
    private readonly LoopbackSession _loopback = new();

    public void Run(byte[] input)
    {
        var options = new SmtpListenerOptions
        {
            HostName = "mx.fuzz.test",
            Certificate = _certificate,
            AuthFailureDelay = TimeSpan.Zero,
            MaxMessageSize = 1024 * 1024,
        };
        var context = new SmtpSessionContext(
            options,
            _accounts,
            // A new acceptor per input: a shared one keeps every accepted message, and over AFL++'s hundred
            // thousand inputs in one process that grew to 1.5 GB and slowed every later session past its limit.
            new RecordingAcceptor(),
            new SubmissionRateLimiter(options.SubmissionMessagesPerMinute),
            new LoginThrottle(new LoginThrottleOptions { BaseDelay = TimeSpan.Zero, MaxDelay = TimeSpan.Zero }, options.TimeProvider),
            _logger,
            CancellationToken.None);
        var endpoint = new SmtpEndpoint(new IPEndPoint(IPAddress.Loopback, 0), SmtpListenerKind.Inbound, SmtpTlsMode.StartTls);
        var script = new MemoryStream();
        script.Write("EHLO client.fuzz.test\r\n"u8);
        script.Write(input);
        script.Write("\r\n.\r\nQUIT\r\n"u8);
        _logger.Clear();

        var output = _loopback.Run(script.ToArray(), async (socket, cancellationToken) =>
        {
            await using var connection = new SmtpConnection(socket);
            await new SmtpSession(context, endpoint, connection).RunAsync(cancellationToken);
        });

        _logger.ThrowIfAny();
        if (Encoding.Latin1.GetString(output).Contains("local error", StringComparison.Ordinal))
        {
            throw new FuzzFindingException("a command failed inside the server");
        }
    }

    public void Dispose()
    {
        _loopback.Dispose();
        _certificate.Dispose();
    }
}
