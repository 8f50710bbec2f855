using System.Net;
using System.Net.Sockets;
using Keypost.LocalServe;
using Keypost.Mail.Queue;
using Keypost.Testing.Beds;
using Keypost.Testing.Mail;
using Keypost.Testing;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace Keypost.Interop.Tests.Transport;

/// <summary>
/// RFC 5321 §4.5.4.1: a message the remote exchanger defers (4xx) stays queued and is retried; a restart of the
/// server in between must neither lose it nor stop the retries.
/// </summary>
public sealed class RestartResumesDeliveryTests
{
    private const string LeiaPassword = TestBed.LeiaPassword;
    private const string PeerIp = "127.0.0.12";

    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(40);

    [Fact]
    public async Task A_deferred_message_survives_a_restart_and_is_delivered_once_the_peer_accepts()
    {
        var peerEndPoint = new IPEndPoint(IPAddress.Parse(PeerIp), FreePort.Get(IPAddress.Parse(PeerIp)));
        // RFC 5321 §4.2.2: 451, a temporary local problem; the sender must try again later.
        await using var peer = new ScriptedSmtpPeer(peerEndPoint, offerStartTls: false) { RcptReply = _ => "451 4.3.0 Try again later" };
        await using var bed = TestBed.Create("keypost-restart");
        bed.Dns.Mx("jedi.test", 10, "mx.jedi.test").A("mx.jedi.test", PeerIp);
        var rebel = await bed.StartAsync(TestBed.Rebel with { SubmissionPort = 0, DeliveryPort = peerEndPoint.Port });
        var token = Guid.NewGuid().ToString("N");

        await SubmitAsync(rebel.Submission, token);

        // Deferred at least once by the peer, and recorded so in the queue.
        Assert.True(await PollAsync(async () => peer.Refusals >= 1 && (await QueuedAsync(rebel)).Any(r => r.Attempts >= 1)), "the peer was never asked");
        await rebel.RestartAsync(CancellationToken.None);
        var afterRestart = Assert.Single(await QueuedAsync(rebel));
        Assert.Equal("luke@jedi.test", afterRestart.Address.ToString());
        Assert.False(afterRestart.IsFinal);
        Assert.Empty(peer.Messages);
        var refusalsBefore = peer.Refusals;

        // The restarted server keeps retrying on schedule; once the peer accepts, the message goes and leaves the queue.
        Assert.True(await PollAsync(() => Task.FromResult(peer.Refusals > refusalsBefore)), "no retry after the restart");
        peer.RcptReply = _ => null;
        Assert.True(await PollAsync(async () => !peer.Messages.IsEmpty && (await QueuedAsync(rebel)).Count == 0), "not delivered after the peer accepted");
        var delivered = Assert.Single(peer.Messages).Data;
        Assert.Contains("token " + token, delivered, StringComparison.Ordinal);
        Assert.Contains("DKIM-Signature:", delivered, StringComparison.Ordinal);
    }

    private static async Task<List<QueuedRecipient>> QueuedAsync(LocalDomain node) =>
        (await node.Server.Mail!.Queue.ListAsync(CancellationToken.None)).SelectMany(m => m.Recipients).ToList();

    private static async Task<bool> PollAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + Wait;
        while (!await condition())
        {
            if (DateTime.UtcNow >= deadline)
            {
                return false;
            }

            await Task.Delay(100);
        }

        return true;
    }

    private static async Task SubmitAsync(IPEndPoint submission, string token)
    {
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("Leia Organa", "leia@rebel.test"));
        message.To.Add(new MailboxAddress("Luke Skywalker", "luke@jedi.test"));
        message.Subject = "Retry me";
        message.Body = new TextPart("plain") { Text = $"token {token}\r\n" };

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var client = new SmtpClient();
        // A test CA's certificate: the retry path is under test here, not PKI.
        client.ServerCertificateValidationCallback = (_, _, _, _) => true;
        client.CheckCertificateRevocation = false;
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(submission, timeout.Token);
        await client.ConnectAsync(socket, "mx.rebel.test", submission.Port, SecureSocketOptions.StartTls, timeout.Token);
        await client.AuthenticateAsync(new SaslMechanismPlain("leia@rebel.test", LeiaPassword), timeout.Token);
        await client.SendAsync(message, timeout.Token);
        await client.DisconnectAsync(quit: true, timeout.Token);
    }
}
