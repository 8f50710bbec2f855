using System.Net;
using Keypost.Client;
using Keypost.Client.Contacts;
using Keypost.Client.Discovery;
using Keypost.Client.Reading;
using Keypost.Client.Publishing;
using Keypost.Client.Sending;
using Keypost.Cli.ClientSide;
using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;
using Keypost.Core.Text;
using Keypost.Core.Policy;
using Keypost.LocalServe;
using Keypost.Mail.Dns;
using Keypost.Directory.Publishing;
using Keypost.Server.Configuration;
using Keypost.Server.Witness;
using Keypost.Transparency.Notes;
using Keypost.Transparency.Witness;
using Microsoft.Extensions.Logging.Abstractions;

namespace Keypost.Cli.Demo;

/// <summary>
/// In charge of `keypost demo`: the whole story told on one machine, act by act.
/// The whole story on one machine: two domains, each a real `keypost serve` on its own loopback address, a witness,
/// a DNS server, a throw-away CA. Act 1: Leia's software finds Luke's key by WKD with a proof from jedi.test's log
/// cosigned by the witness, encrypts and signs, submits; the servers carry ciphertext; Luke fetches by IMAP and
/// decrypts. Act 2: jedi.test's operator forges Luke's key, first behind the log's back (Leia's send is refused),
/// then openly in the log (Luke's monitor raises the alert). Exit code 0 only if every step did what it should.
/// </summary>
public sealed class DemoRunner(DemoTranscript transcript, TextWriter notes, bool keep)
{
    private const string Subject = "Death Star plans";
    private const string Body = "The plans are in R2-D2. Meet me at Yavin 4.";
    private const string LukePassword = DemoStory.LukePassword;
    private const string LeiaPassword = DemoStory.LeiaPassword;
    private const string WitnessName = "witness.test/demo";
    private static readonly EmailAddress Luke = EmailAddress.Parse("luke@jedi.test");
    private static readonly EmailAddress Leia = EmailAddress.Parse("leia@rebel.test");

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var root = System.IO.Directory.CreateTempSubdirectory("keypost-demo-").FullName;
        try
        {
            await RunInAsync(root, cancellationToken);
        }
        finally
        {
            await transcript.FinishAsync();
            if (keep)
            {
                await notes.WriteLineAsync($"data kept in {root}");
            }
            else
            {
                System.IO.Directory.Delete(root, recursive: true);
            }
        }

        return transcript.Succeeded ? 0 : 1;
    }

    private async Task RunInAsync(string root, CancellationToken cancellationToken)
    {
        await transcript.ActAsync("Setup: two domains, a witness, DNS, on loopback");
        using var dns = new LoopbackDnsServer();
        var resolver = new MailDnsResolver(new MailDnsResolverOptions { NameServers = [dns.EndPoint], UseCache = false });
        using var ca = LocalCertificateAuthority.Create("Keypost demo CA");
        var jediAddress = IPAddress.Parse("127.0.0.10");
        var rebelAddress = IPAddress.Parse("127.0.0.11");
        var witnessAddress = IPAddress.Parse("127.0.0.12");
        var ports = LocalPorts.FindFree([jediAddress, rebelAddress, witnessAddress]);

        // The witness is someone else's service: its key exists before the logs it will cosign are known to it.
        var witnessConfig = new WitnessConfig
        {
            Name = WitnessName,
            Database = Path.Combine(root, "witness", "witness.db"),
            Listen = [$"{witnessAddress}:{ports.Https}"],
            CheckpointsPerMinute = 0,
        };
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(witnessConfig.Database)!);
        var witnessVkey = await DemoWitness.VerifierKeyAsync(witnessConfig, cancellationToken);
        var witnessEndpoint = new WitnessEndpointConfig { Url = $"http://{witnessAddress}:{ports.Https}/", Vkey = witnessVkey };

        await using var jedi = await LocalDomain.StartAsync(DomainOptions("jedi.test", jediAddress, ports, witnessEndpoint), ca, dns, root, cancellationToken);
        await using var rebel = await LocalDomain.StartAsync(DomainOptions("rebel.test", rebelAddress, ports, witnessEndpoint), ca, dns, root, cancellationToken);
        witnessConfig.Logs = [jedi.Server.Transparency.VerifierKey("jedi.test")!, rebel.Server.Transparency.VerifierKey("rebel.test")!];
        await using var witness = await WitnessServer.StartAsync(witnessConfig, NullLoggerFactory.Instance, TimeProvider.System, cancellationToken);
        await transcript.OkAsync("setup.servers",
            $"DNS on {dns.EndPoint}; jedi.test on {jediAddress} and rebel.test on {rebelAddress}: WKD https :{ports.Https}, SMTP :{ports.Smtp}, submission :{ports.Submission}, IMAP :{ports.Imaps}",
            $"witness {WitnessName} on {witnessAddress}:{ports.Https}, cosigning both domains' logs");

        await jedi.AddAccountAsync(Luke, LukePassword, cancellationToken);
        await rebel.AddAccountAsync(Leia, LeiaPassword, cancellationToken);
        var lukeKey = new KeyGenerator().Generate(new KeyGenerationRequest(Luke) { DisplayName = "Luke Skywalker", Passphrase = LukePassword });
        var leiaKey = new KeyGenerator().Generate(new KeyGenerationRequest(Leia) { DisplayName = "Leia Organa", Passphrase = LeiaPassword });
        await new KeyPublisher(jedi.Server.Store, new CertificatePolicy(), TimeProvider.System).PublishAsync(lukeKey.Certificate.ToBinary(), null, cancellationToken);
        await new KeyPublisher(rebel.Server.Store, new CertificatePolicy(), TimeProvider.System).PublishAsync(leiaKey.Certificate.ToBinary(), null, cancellationToken);
        await transcript.OkAsync("setup.publish", $"Luke's key {lukeKey.Fingerprint} is published by jedi.test, Leia's {leiaKey.Fingerprint} by rebel.test");
        // The servers' sequencers seal an epoch within a second; sealing here keeps the demo from waiting for it.
        await jedi.Server.Transparency.SequenceAsync(cancellationToken);
        await rebel.Server.Transparency.SequenceAsync(cancellationToken);
        await transcript.OkAsync("setup.logged", "both domains logged the keys and the witness cosigned their checkpoints",
            $"jedi.test's log key: {jedi.Server.Transparency.VerifierKey("jedi.test")}");

        using var http = WkdHttp.CreateHttpClient(resolver, ports.Https, ca.Certificate);
        var story = new DemoStory(root, http, ca, jediAddress, rebelAddress, ports, lukeKey, leiaKey, witnessVkey);
        await story.Leia.Logs.AddWitnessAsync(CosignatureVerifier.Parse(witnessVkey), cancellationToken);
        await story.Luke.Logs.AddWitnessAsync(CosignatureVerifier.Parse(witnessVkey), cancellationToken);

        await ActOneAsync(story, jedi, cancellationToken);
        await ActTwoAsync(story, jedi, http, cancellationToken);
        await ActThreeAsync(story, jedi, http, cancellationToken);
        await ActFourAsync(story, jedi, dns, jediAddress, ports, ca, cancellationToken);
    }

    /// <summary>Act 1: discovery with a cosigned proof, encryption, delivery, reading.</summary>
    private async Task ActOneAsync(DemoStory story, LocalDomain jedi, CancellationToken cancellationToken)
    {
        await transcript.ActAsync("Act 1: Leia writes to Luke");
        var found = await story.LeiaDiscovery().DiscoverAsync(Luke, cancellationToken);
        if (found.Certificate?.Fingerprint == story.LukeKey.Fingerprint && found.Usable && found.Log is { } proof)
        {
            var cosigners = CosignatureQuorum.Default([CosignatureVerifier.Parse(story.WitnessVkey)])
                .Check(SignedNote.Parse(proof.CheckpointNote), DateTimeOffset.UtcNow);
            await transcript.OkAsync("act1.lookup", $"Leia's software asked jedi.test for {Luke} ({found.Lookup.Url.Host}): {found.Explanation}",
                $"proved by the log: size {proof.Checkpoint.Size}, epoch {proof.Epoch.Epoch}, version {proof.Binding!.Version}; verified: VRF, map, inclusion, checkpoint signature",
                $"cosigned by {cosigners.Count} witness(es) Leia trusts: {string.Join(", ", cosigners)}");
        }
        else
        {
            await transcript.FailAsync("act1.lookup", $"discovery for {Luke}: {found.Explanation}");
            return;
        }

        var sent = await story.LeiaSender().SendAsync(new OutgoingMessage(Leia.ToString(), [Luke.ToString()], Subject, Body), cancellationToken);
        await transcript.CheckAsync("act1.send", sent.Mode == SendMode.Encrypt,
            $"Leia wrote \"{Subject}\"; it was {(sent.Mode == SendMode.Encrypt ? "encrypted to Luke and Leia and signed" : sent.Mode.ToString())}, submitted to rebel.test over STARTTLS with AUTH");

        await transcript.WaitingAsync("waiting for rebel.test to deliver to jedi.test");
        var stored = await WaitForMailAsync(jedi.MaildirOf(Luke), 1, TimeSpan.FromSeconds(60), cancellationToken);
        if (stored is null)
        {
            await transcript.FailAsync("act1.delivered", "the message did not reach Luke's mailbox at jedi.test");
            return;
        }

        var storedText = await File.ReadAllTextAsync(stored, cancellationToken);
        var storedMessage = await MimeKit.MimeMessage.LoadAsync(stored, cancellationToken);
        var details = storedMessage.Headers.Where(h => h.Id == MimeKit.HeaderId.AuthenticationResults)
            .Select(h => "Authentication-Results: " + string.Join(' ', h.Value.Split(['\r', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries).Select(v => v.Trim())))
            .Append("what the servers saw of the content (jedi.test's copy, decoded):")
            .Concat(ObserverView(storedMessage).Select(line => "| " + line))
            .ToList();
        await transcript.OkAsync("act1.delivered", "rebel.test DKIM-signed it and delivered it to jedi.test's MX over STARTTLS; jedi.test checked it:", details);
        var leaked = storedText.Contains(Body, StringComparison.Ordinal) || storedText.Contains(Subject, StringComparison.Ordinal);
        await transcript.CheckAsync("act1.no-plaintext", !leaked, leaked
            ? "the body or the real subject is readable on the server"
            : "neither the body nor the real subject appears anywhere on the servers");

        var read = (await story.LukeReader().ListAsync(MailReader.Inbox, null, cancellationToken)).Messages.FirstOrDefault();
        if (read?.Result is null)
        {
            await transcript.FailAsync("act1.read", "Luke's inbox is empty over IMAP");
            return;
        }

        var signature = read.Result.Signature;
        var signedByLeia = signature.IsValid && string.Equals(signature.SignerAddress, Leia.Canonical, StringComparison.OrdinalIgnoreCase);
        var intact = read.Result.Subject == Subject && read.Text.Contains(Body, StringComparison.Ordinal);
        await transcript.CheckAsync("act1.read", signedByLeia && intact && read.Result.Encryption.IsIntegrityProtected,
            $"Luke fetched it over IMAP and decrypted it on his machine ({(read.Result.Encryption.IsIntegrityProtected ? "integrity protected" : "NOT integrity protected")}):",
            $"Subject: {read.Result.DisplaySubject}",
            DisplayText.Escape(read.Text.Trim()),
            signedByLeia
                ? $"signed by {signature.SignerAddress}, key {signature.SignerFingerprint} found by WKD at rebel.test and pinned on first use"
                : $"signature: {signature.Status} {signature.Reason}");

        var report = await story.LukeMonitor().CheckAsync(Luke, [story.LukeKey.Fingerprint], cancellationToken);
        await transcript.CheckAsync("act1.monitor", report.Alerts.Count == 0,
            $"Luke's monitor checked his own address in jedi.test's log: version {report.Version} is his key {report.Fingerprint} (log size {report.Size}, epoch {report.Epoch})",
            report.Alerts.Select(a => a.ToString()).ToList());
    }

    /// <summary>
    /// Act 2 (issues #8 and #11): jedi.test's operator forges Luke's key. Behind the log's back (by SQL), WKD serves
    /// the forged key and Leia's send is refused, naming the failed check. Openly (a new version in the log), Leia's
    /// software would accept it, but Luke's monitor sees a key he does not hold and raises the alert.
    /// </summary>
    private async Task ActTwoAsync(DemoStory story, LocalDomain jedi, HttpClient http, CancellationToken cancellationToken)
    {
        await transcript.ActAsync("Act 2: jedi.test's operator forges Luke's key");
        var forged = new KeyGenerator().Generate(new KeyGenerationRequest(Luke) { DisplayName = "Luke Skywalker" }).Certificate;
        await jedi.Server.Store.Database.ExecuteAsync(
            "UPDATE certificates SET data = $1, fingerprint = $2 WHERE address = $3 AND state = 'current'",
            cancellationToken,
            CertificateMinimizer.Minimize(forged, Luke).ToBinary(),
            forged.Fingerprint,
            Luke.Canonical);
        // Behind the store's back: its WKD cache must hear of it, as it would after the cache's lifetime.
        jedi.Server.Store.NoteCertificatesChanged();

        await transcript.OkAsync("act2.swap", $"jedi.test's operator swapped Luke's key for {forged.Fingerprint} by SQL; WKD now serves the forged key");
        try
        {
            // A later session of Leia's software: nothing cached, same pins and log state.
            await story.LeiaSender().SendAsync(new OutgoingMessage(Leia.ToString(), [Luke.ToString()], "Are you there?", "Luke?"), cancellationToken);
            await transcript.FailAsync("act2.refused", "Leia's send went out with the swapped key");
        }
        catch (SendRefusedException e) when (e.Message.Contains("transparency check failed", StringComparison.Ordinal))
        {
            await transcript.OkAsync("act2.refused", $"Leia's send was refused: {e.Message}");
        }

        var openlyForged = new KeyGenerator().Generate(new KeyGenerationRequest(Luke) { DisplayName = "Luke Skywalker" }).Certificate;
        await new KeyPublisher(jedi.Server.Store, new CertificatePolicy(), TimeProvider.System).PublishAsync(openlyForged.ToBinary(), null, cancellationToken);
        await jedi.Server.Transparency.SequenceAsync(cancellationToken);
        await transcript.OkAsync("act2.logged", $"the operator then published a forged key {openlyForged.Fingerprint} for Luke through the directory: it is logged as a new version");

        var report = await story.LukeMonitor().CheckAsync(Luke, [story.LukeKey.Fingerprint], cancellationToken);
        var alert = report.Alerts.FirstOrDefault(a => string.Equals(a.Fingerprint, openlyForged.Fingerprint, StringComparison.OrdinalIgnoreCase));
        await transcript.CheckAsync("act2.monitor-alert", alert is not null,
            alert is not null ? "Luke's monitor raised the alert (keypost monitor exits 3):" : "Luke's monitor saw nothing wrong",
            report.Alerts.Select(a => a.ToString()).ToList());

        // Alerted, Luke puts his own key back with his account's password; the forgery stays in the log's history.
        await new KeyPublishClient(http).PublishAsync(Luke, LukePassword, story.LukeKey.Certificate, cancellationToken);
        await jedi.Server.Transparency.SequenceAsync(cancellationToken);
        var restored = await story.LeiaDiscovery().DiscoverAsync(Luke, cancellationToken);
        await transcript.CheckAsync("act2.restore", restored.Usable && restored.Certificate?.Fingerprint == story.LukeKey.Fingerprint,
            $"Luke republished his own key over HTTPS with his password; the forged version stays in the log's history. Leia's software: {restored.Explanation}");
    }

    /// <summary>
    /// Act 3 (issue #12): Luke rotates his key from his own machine: the new key carries a transition signature by
    /// the old one and is published with his account's password. Leia's software, holding a pin for the old key,
    /// accepts the successor silently, and her next message is encrypted to it.
    /// </summary>
    private async Task ActThreeAsync(DemoStory story, LocalDomain jedi, HttpClient http, CancellationToken cancellationToken)
    {
        await transcript.ActAsync("Act 3: Luke rotates his key");
        var old = story.LukeKey;
        var next = new KeyGenerator().Generate(new KeyGenerationRequest(Luke) { DisplayName = "Luke Skywalker", Passphrase = LukePassword });
        var certified = KeyLifecycle.CertifySuccessor(old.Unlock(LukePassword), next.Certificate, Luke, DateTimeOffset.UtcNow);
        await new KeyPublishClient(http).PublishAsync(Luke, LukePassword, certified, cancellationToken);
        await jedi.Server.Transparency.SequenceAsync(cancellationToken);
        story.LukeKey = next;
        await transcript.OkAsync("act3.rotate", $"Luke made a new key {next.Fingerprint}, certified it with his old key {old.Fingerprint} and published it over HTTPS with his password; jedi.test logged it");

        var found = await story.LeiaDiscovery().DiscoverAsync(Luke, cancellationToken);
        var silent = found.Usable && found.Certificate?.Fingerprint == next.Fingerprint && found.Pin?.Outcome == PinOutcome.Rotated;
        await transcript.CheckAsync("act3.lookup", silent, $"Leia's software found Luke's new key: {found.Explanation}");
        if (!silent)
        {
            return;
        }

        const string Later = "New key, same Luke";
        var sent = await story.LeiaSender().SendAsync(new OutgoingMessage(Leia.ToString(), [Luke.ToString()], Later, "Got your new key."), cancellationToken);
        await transcript.CheckAsync("act3.send", sent.Mode == SendMode.Encrypt, $"Leia wrote \"{Later}\" without being asked anything; it was encrypted to Luke's new key");
        await transcript.WaitingAsync("waiting for the second message to reach jedi.test");
        if (await WaitForMailAsync(jedi.MaildirOf(Luke), 2, TimeSpan.FromSeconds(60), cancellationToken) is null)
        {
            await transcript.FailAsync("act3.read", "the second message did not reach Luke's mailbox");
            return;
        }

        var inbox = await story.LukeReader().ListAsync(MailReader.Inbox, null, cancellationToken);
        var read = inbox.Messages.FirstOrDefault(m => m.Result?.Subject == Later);
        await transcript.CheckAsync("act3.read", read is not null && read.Result!.Signature.IsValid,
            read is not null ? $"Luke read \"{Later}\" with his new key, signed by {read.Result!.Signature.SignerAddress}" : "Luke could not read the message with his new key");
    }

    /// <summary>
    /// Act 4 (issue #16): an outside mail server that knows nothing of OpenPGP (tatooine.test, plain SMTP from its
    /// own address, SPF only) sends Luke a message in the clear. jedi.test encrypts it to Luke's key on arrival, so
    /// the Maildir holds neither its body nor its Subject; Luke reads it decrypted, the original inside.
    /// </summary>
    private async Task ActFourAsync(DemoStory story, LocalDomain jedi, LoopbackDnsServer dns, IPAddress jediAddress, LocalPorts ports, LocalCertificateAuthority ca, CancellationToken cancellationToken)
    {
        await transcript.ActAsync("Act 4: a legacy sender writes to Luke in the clear");
        const string LegacySubject = "Power converters at Tosche Station";
        const string LegacyBody = "Luke, come home before dark. The vaporators need you. - Owen";
        var outside = IPAddress.Parse("127.0.0.13");
        // RFC 7208: tatooine.test's SPF names its one mail server; it has no DKIM and no DMARC, like many small senders.
        dns.Txt("tatooine.test", "v=spf1 ip4:127.0.0.13 -all");
        var message = new MimeKit.MimeMessage();
        message.From.Add(new MimeKit.MailboxAddress("Owen Lars", "owen@tatooine.test"));
        message.To.Add(new MimeKit.MailboxAddress("Luke Skywalker", Luke.ToString()));
        message.Subject = LegacySubject;
        message.Body = new MimeKit.TextPart("plain") { Text = LegacyBody };
        using (var smtp = new MailKit.Net.Smtp.SmtpClient { LocalDomain = "mail.tatooine.test", LocalEndPoint = new IPEndPoint(outside, 0) })
        {
            // Like most MTAs it takes STARTTLS when offered; it connects by address (the demo's DNS is not the
            // system's), so it checks the chain to the demo's CA and not the name.
            smtp.ServerCertificateValidationCallback = (_, certificate, _, _) => certificate is not null && IssuedBy(certificate, ca.Certificate);
            await smtp.ConnectAsync(jediAddress.ToString(), ports.Smtp, MailKit.Security.SecureSocketOptions.StartTls, cancellationToken);
            await smtp.SendAsync(message, cancellationToken);
            await smtp.DisconnectAsync(true, cancellationToken);
        }

        await transcript.OkAsync("act4.send", $"tatooine.test's mail server ({outside}, no OpenPGP, no DKIM) sent \"{LegacySubject}\" to {Luke} in the clear over SMTP");
        await transcript.WaitingAsync("waiting for jedi.test to store it");
        var stored = await WaitForMailAsync(jedi.MaildirOf(Luke), 3, TimeSpan.FromSeconds(60), cancellationToken);
        if (stored is null)
        {
            await transcript.FailAsync("act4.stored", "the message did not reach Luke's mailbox at jedi.test");
            return;
        }

        var storedText = await File.ReadAllTextAsync(stored, cancellationToken);
        var storedMessage = await MimeKit.MimeMessage.LoadAsync(stored, cancellationToken);
        var encrypted = storedMessage.Body?.ContentType.IsMimeType("multipart", "encrypted") == true;
        var leaked = storedText.Contains(LegacyBody, StringComparison.Ordinal) || storedText.Contains(LegacySubject, StringComparison.Ordinal);
        await transcript.CheckAsync("act4.stored", encrypted && !leaked,
            encrypted && !leaked
                ? "jedi.test encrypted it to Luke's key on arrival: the mailbox file holds neither the body nor the Subject"
                : "the message is stored readable on the server",
            ObserverView(storedMessage).Select(line => "| " + line).ToList());

        var inbox = await story.LukeReader().ListAsync(MailReader.Inbox, null, cancellationToken);
        var read = inbox.Messages.FirstOrDefault(m => m.Result?.Subject == LegacySubject);
        await transcript.CheckAsync("act4.read", read is not null && read.Text.Contains(LegacyBody, StringComparison.Ordinal),
            read is not null
                ? $"Luke read it on his machine: Subject: {read.Result!.DisplaySubject} (the original message, byte for byte, is inside)"
                : "Luke could not read the message stored at rest",
            read is not null ? [DisplayText.Escape(read.Text.Trim())] : []);
    }

    private static bool IssuedBy(System.Security.Cryptography.X509Certificates.X509Certificate certificate, System.Security.Cryptography.X509Certificates.X509Certificate2 authority)
    {
        using var chain = new System.Security.Cryptography.X509Certificates.X509Chain();
        chain.ChainPolicy.TrustMode = System.Security.Cryptography.X509Certificates.X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(authority);
        chain.ChainPolicy.RevocationMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck;
        using var leaf = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return chain.Build(leaf);
    }

    private static async Task<string?> WaitForMailAsync(string maildir, int count, TimeSpan patience, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + patience;
        while (DateTime.UtcNow < deadline)
        {
            var files = new[] { "new", "cur" }.Select(d => Path.Combine(maildir, d)).Where(System.IO.Directory.Exists)
                .SelectMany(System.IO.Directory.EnumerateFiles).Select(f => new FileInfo(f)).OrderBy(f => f.LastWriteTimeUtc).ToList();
            if (files.Count >= count)
            {
                return files[count - 1].FullName;
            }

            await Task.Delay(200, cancellationToken);
        }

        return null;
    }

    // The demo's domains listen where real ones would, on the same four port numbers each, and deliver to the SMTP one.
    private static LocalDomainOptions DomainOptions(string name, IPAddress address, LocalPorts ports, WitnessEndpointConfig witness) =>
        new LocalDomainOptions { Name = name, Witnesses = [witness] }.WithAllListeners(address, ports);

    // The headers a server sees, then the first lines of the OpenPGP block (decoded from its transfer encoding).
    private static IEnumerable<string> ObserverView(MimeKit.MimeMessage stored)
    {
        yield return "Subject: " + stored.Subject;
        yield return "Content-Type: " + stored.Body?.ContentType.MimeType;
        if (stored.BodyParts.OfType<MimeKit.MimePart>().FirstOrDefault(p => p.ContentType.IsMimeType("application", "octet-stream")) is { Content: { } content })
        {
            using var decoded = new MemoryStream();
            content.DecodeTo(decoded);
            foreach (var line in System.Text.Encoding.ASCII.GetString(decoded.ToArray()).Split('\n').Take(4))
            {
                var trimmed = line.TrimEnd('\r');
                yield return trimmed.Length > 64 ? trimmed[..64] + "..." : trimmed;
            }
        }
    }
}
