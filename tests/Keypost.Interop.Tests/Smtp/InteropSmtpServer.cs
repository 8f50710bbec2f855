using System.Net;
using Keypost.Mail.Smtp;
using Keypost.Testing;
using Keypost.Testing.Mail;

namespace Keypost.Interop.Tests.Smtp;

/// <summary>Inbound (STARTTLS offered), submission STARTTLS and submission implicit TLS on loopback.</summary>
public sealed class InteropSmtpServer : IAsyncDisposable
{
    public const string LukePassword = "use-the-force";

    private InteropSmtpServer(SmtpListener listener, RecordingAcceptor acceptor)
    {
        Listener = listener;
        Acceptor = acceptor;
    }

    public SmtpListener Listener { get; }

    public RecordingAcceptor Acceptor { get; }

    public int InboundPort => Listener.LocalEndPoints[0].Port;

    public int SubmissionPort => Listener.LocalEndPoints[1].Port;

    public int ImplicitTlsPort => Listener.LocalEndPoints[2].Port;

    public static async Task<InteropSmtpServer> StartAsync()
    {
        var accounts = new FakeMailAccounts("jedi.test").Add("luke@jedi.test", LukePassword);
        var acceptor = new RecordingAcceptor();
        var listener = new SmtpListener(
            new SmtpListenerOptions
            {
                HostName = "mx.jedi.test",
                Certificate = TestCertificate.Create("mx.jedi.test"),
                AuthFailureDelay = TimeSpan.Zero,
                Endpoints =
                [
                    new SmtpEndpoint(new IPEndPoint(IPAddress.Loopback, 0), SmtpListenerKind.Inbound, SmtpTlsMode.StartTls),
                    new SmtpEndpoint(new IPEndPoint(IPAddress.Loopback, 0), SmtpListenerKind.Submission, SmtpTlsMode.StartTls),
                    new SmtpEndpoint(new IPEndPoint(IPAddress.Loopback, 0), SmtpListenerKind.Submission, SmtpTlsMode.Implicit),
                ],
            },
            accounts,
            acceptor);
        await listener.StartAsync(CancellationToken.None);
        return new InteropSmtpServer(listener, acceptor);
    }

    public async ValueTask DisposeAsync() => await Listener.DisposeAsync();
}
