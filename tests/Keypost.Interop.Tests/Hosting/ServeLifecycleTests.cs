using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using Keypost.Testing.Beds;
using Keypost.Testing;

namespace Keypost.Interop.Tests.Hosting;

/// <summary>`keypost serve` as a service: a bad configuration stops it at start naming the JSON path; SIGTERM ends IMAP sessions with BYE.</summary>
public sealed class ServeLifecycleTests
{
    [Fact]
    public async Task A_misspelt_key_stops_serve_at_start_and_names_its_JSON_path()
    {
        using var directory = new TempDirectory("keypost-serve-config");
        await File.WriteAllTextAsync(directory.Combine("keypost.json"), """
            { "domains": [ { "name": "jedi.test" } ], "mail": { "inbond": ["127.0.0.1:2525"], "deliveryPort": "smtp" } }
            """);

        var result = await KeypostCli.RunAsync(["serve", "--config", directory.Combine("keypost.json")]);

        Assert.Equal(1, result.ExitCode);
        var line = Assert.Single(result.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("mail.inbond: unknown key", line, StringComparison.Ordinal);
        Assert.Contains("mail.deliveryPort: 'smtp' is not a valid whole number", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Under_systemd_serve_notifies_ready_and_stopping()
    {
        // sd_notify(3): the service manager's datagram socket is named by NOTIFY_SOCKET; this test plays systemd.
        using var directory = new TempDirectory("keypost-notify");
        var socketPath = directory.Combine("notify.sock");
        using var notify = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        notify.Bind(new UnixDomainSocketEndPoint(socketPath));
        await using var bed = TestBed.Create("keypost-service");
        var node = await bed.ServeAsync(TestBed.Operated, environment: new Dictionary<string, string> { ["NOTIFY_SOCKET"] = socketPath });
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        // StartAsync returned once SMTP greeted, so every listener is bound and READY=1 has been sent.
        Assert.Equal("READY=1", await ReceiveAsync(notify, timeout.Token));
        var terminating = node.Server.TerminateAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("STOPPING=1", await ReceiveAsync(notify, timeout.Token));
        Assert.Equal(0, await terminating);
    }

    private static async Task<string> ReceiveAsync(Socket socket, CancellationToken cancellationToken)
    {
        var buffer = new byte[4096];
        var length = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
        return Encoding.ASCII.GetString(buffer, 0, length).Trim();
    }

    [Fact]
    public async Task SIGTERM_ends_a_logged_in_IMAP_session_with_BYE()
    {
        var imap = new IPEndPoint(IPAddress.Loopback, FreePort.Get());
        await using var bed = TestBed.Create("keypost-service");
        var node = await bed.ServeAsync(TestBed.Operated.Then(c => c.Mail.ImapTls = [imap.ToString()]));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(imap, timeout.Token);
        // A test CA's certificate: the shutdown is under test here, not PKI.
        await using var tls = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false, (_, _, _, _) => true);
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "mx.jedi.test" }, timeout.Token);
        using var reader = new StreamReader(tls, Encoding.ASCII);
        Assert.StartsWith("* OK", await reader.ReadLineAsync(timeout.Token));
        await tls.WriteAsync(Encoding.ASCII.GetBytes($"a1 LOGIN luke@jedi.test {TestBed.LukePassword}\r\n"), timeout.Token);
        Assert.StartsWith("a1 OK", await reader.ReadLineAsync(timeout.Token));

        var exitCode = await node.Server.TerminateAsync(TimeSpan.FromSeconds(30));

        Assert.Equal("* BYE Server shutting down", await reader.ReadLineAsync(timeout.Token));
        Assert.Equal(0, exitCode);
        var log = node.LogEntries();
        var login = Assert.Single(log, e => LogEntry.EventId(e) == 3001);
        Assert.Equal("luke@jedi.test", LogEntry.State(login, "Account"));
        Assert.Contains(log, e => LogEntry.EventId(e) == 3010 && LogEntry.State(e, "Sessions") == "1");
    }
}
