using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Keypost.Interop.Tests.Transport;
using Keypost.Testing.Beds;
using Keypost.Testing.Mail;
using Keypost.Testing;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace Keypost.Interop.Tests.Hosting;

/// <summary>
/// The operator's listener of `keypost serve`: /metrics in Prometheus text format shows the queue depth rise
/// while a remote exchanger defers (RFC 5321 §4.5.4.1) and fall once it accepts; /healthz says ok.
/// </summary>
public sealed partial class MetricsEndpointTests
{
    private const string PeerIp = "127.0.0.13";
    private const int Messages = 3;

    [Fact]
    public async Task Metrics_show_the_queue_depth_moving_and_deliveries_by_result()
    {
        var peerEndPoint = new IPEndPoint(IPAddress.Parse(PeerIp), FreePort.Get(IPAddress.Parse(PeerIp)));
        // RFC 5321 §4.2.2: 451, a temporary local problem; the sender must try again later.
        await using var peer = new ScriptedSmtpPeer(peerEndPoint, offerStartTls: false) { RcptReply = _ => "451 4.3.0 Try again later" };
        var submission = new IPEndPoint(IPAddress.Loopback, FreePort.Get());
        await using var bed = TestBed.Create("keypost-service");
        var node = await bed.ServeAsync(TestBed.Operated.Then(c =>
        {
            c.Mail.Submission = [submission.ToString()];
            c.Mail.DeliveryPort = peerEndPoint.Port;
            c.Mail.RetryIntervalSeconds = [1];
        }));
        bed.Dns.Mx("rebel.test", 10, "mx.rebel.test").A("mx.rebel.test", PeerIp);
        using var http = new HttpClient { BaseAddress = new Uri($"http://{node.Metrics}") };

        var health = await http.GetAsync(new Uri("/healthz", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Contains("\"ok\"", await health.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(0, QueueDepth(await http.GetStringAsync(new Uri("/metrics", UriKind.Relative))));

        await SubmitAsync(submission, Messages);
        Assert.True(await PollAsync(async () => QueueDepth(await ScrapeAsync(http)) == Messages && peer.Refusals >= Messages), "the queue depth never showed the deferred messages");

        peer.RcptReply = _ => null;
        Assert.True(await PollAsync(async () => QueueDepth(await ScrapeAsync(http)) == 0), "the queue depth never went back to 0");
        var text = await ScrapeAsync(http);
        Assert.True(Counter(text, "keypost_delivery_attempts_total", "result=\"deferred\"") >= Messages, text);
        Assert.Equal(Messages, Counter(text, "keypost_delivery_attempts_total", "result=\"delivered\""));
        Assert.True(Counter(text, "keypost_smtp_sessions_total", "listener=\"submission\"") >= 1, text);
        Assert.Equal(Messages, peer.Messages.Count);

        // The operator's numbers are not on the public HTTPS side, and WKD is not on the operator's side.
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(new Uri("/.well-known/openpgpkey/policy", UriKind.Relative))).StatusCode);
    }

    private static Task<string> ScrapeAsync(HttpClient http) => http.GetStringAsync(new Uri("/metrics", UriKind.Relative));

    private static long QueueDepth(string metrics) => (long)Counter(metrics, "keypost_queue_depth", "");

    // Sums the samples of one metric whose labels contain the given text (Prometheus exposition format 0.0.4).
    private static double Counter(string metrics, string name, string labelText) =>
        metrics.Split('\n')
            .Where(l => l.StartsWith(name + "{", StringComparison.Ordinal) || l.StartsWith(name + " ", StringComparison.Ordinal))
            .Where(l => l.Contains(labelText, StringComparison.Ordinal))
            .Select(l => Sample().Match(l))
            .Where(m => m.Success)
            .Sum(m => double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));

    private static async Task<bool> PollAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(40);
        while (!await condition())
        {
            if (DateTime.UtcNow >= deadline)
            {
                return false;
            }

            await Task.Delay(200);
        }

        return true;
    }

    private static async Task SubmitAsync(IPEndPoint submission, int count)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var client = new SmtpClient();
        // A test CA's certificate: metrics are under test here, not PKI.
        client.ServerCertificateValidationCallback = (_, _, _, _) => true;
        client.CheckCertificateRevocation = false;
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(submission, timeout.Token);
        await client.ConnectAsync(socket, "mx.jedi.test", submission.Port, SecureSocketOptions.StartTls, timeout.Token);
        await client.AuthenticateAsync(new SaslMechanismPlain("luke@jedi.test", TestBed.LukePassword), timeout.Token);
        for (var i = 0; i < count; i++)
        {
            var message = new MimeMessage();
            message.From.Add(new MailboxAddress("Luke Skywalker", "luke@jedi.test"));
            message.To.Add(new MailboxAddress("Leia Organa", "leia@rebel.test"));
            message.Subject = "Queued " + i.ToString(CultureInfo.InvariantCulture);
            message.Body = new TextPart("plain") { Text = "count me\r\n" };
            await client.SendAsync(message, timeout.Token);
        }

        await client.DisconnectAsync(quit: true, timeout.Token);
    }

    [GeneratedRegex(@"\}?\s([0-9.eE+\-]+)(\s\d+)?\s*$")]
    private static partial Regex Sample();
}
