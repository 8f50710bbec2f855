using System.Net;
using System.Text;
using Keypost.Mail.Smtp;
using Keypost.Testing;
using Keypost.Testing.Mail;

namespace Keypost.Mail.Tests.Smtp;

/// <summary>
/// A listener on loopback with three endpoints (inbound plaintext+STARTTLS, submission STARTTLS, submission
/// implicit TLS), jedi.test hosted with luke@jedi.test and jürgen@jedi.test.
/// </summary>
public sealed class SmtpTestServer : IAsyncDisposable
{
    public const string HostName = "mx.jedi.test";
    public const string LukePassword = "use-the-force";

    private SmtpTestServer(SmtpListener listener, RecordingAcceptor acceptor, FakeMailAccounts accounts)
    {
        Listener = listener;
        Acceptor = acceptor;
        Accounts = accounts;
    }

    public FakeMailAccounts Accounts { get; }

    public SmtpListener Listener { get; }

    public RecordingAcceptor Acceptor { get; }

    public IPEndPoint Inbound => Listener.LocalEndPoints[0];

    public IPEndPoint Submission => Listener.LocalEndPoints[1];

    public IPEndPoint SubmissionImplicit => Listener.LocalEndPoints[2];

    public static async Task<SmtpTestServer> StartAsync(Func<SmtpListenerOptions, SmtpListenerOptions>? configure = null)
    {
        var accounts = new FakeMailAccounts("jedi.test")
            .Add("luke@jedi.test", LukePassword)
            .Add("obiwan@jedi.test", "ben")
            .Add("jürgen@jedi.test", "secret");
        var acceptor = new RecordingAcceptor();
        var options = new SmtpListenerOptions
        {
            HostName = HostName,
            Certificate = TestCertificate.Create(HostName),
            AuthFailureDelay = TimeSpan.Zero,
            Endpoints =
            [
                new SmtpEndpoint(new IPEndPoint(IPAddress.Loopback, 0), SmtpListenerKind.Inbound, SmtpTlsMode.StartTls),
                new SmtpEndpoint(new IPEndPoint(IPAddress.Loopback, 0), SmtpListenerKind.Submission, SmtpTlsMode.StartTls),
                new SmtpEndpoint(new IPEndPoint(IPAddress.Loopback, 0), SmtpListenerKind.Submission, SmtpTlsMode.Implicit),
            ],
        };
        var listener = new SmtpListener(configure?.Invoke(options) ?? options, accounts, acceptor);
        await listener.StartAsync(CancellationToken.None);
        return new SmtpTestServer(listener, acceptor, accounts);
    }

    /// <summary>Connects to the inbound port, reads the greeting and says EHLO.</summary>
    public async Task<SmtpTestClient> InboundAsync()
    {
        var client = await SmtpTestClient.ConnectAsync(Inbound);
        Assert.StartsWith("220 ", await client.ReadReplyAsync());
        Assert.StartsWith("250", await client.CommandAsync("EHLO client.rebel.test"));
        return client;
    }

    /// <summary>Connects to submission, does STARTTLS, EHLO and AUTH PLAIN as Luke.</summary>
    public async Task<SmtpTestClient> SubmitterAsync()
    {
        var client = await SmtpTestClient.ConnectAsync(Submission);
        Assert.StartsWith("220 ", await client.ReadReplyAsync());
        Assert.StartsWith("250", await client.CommandAsync("EHLO client.jedi.test"));
        Assert.StartsWith("220 2.0.0", await client.CommandAsync("STARTTLS"));
        await client.StartTlsAsync();
        Assert.StartsWith("250", await client.CommandAsync("EHLO client.jedi.test"));
        Assert.StartsWith("235 2.7.0", await client.CommandAsync("AUTH PLAIN " + Plain("luke@jedi.test", LukePassword)));
        return client;
    }

    public static string Plain(string user, string password) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes("\0" + user + "\0" + password));

    public async ValueTask DisposeAsync() => await Listener.DisposeAsync();
}
