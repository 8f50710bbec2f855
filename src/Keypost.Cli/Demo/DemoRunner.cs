using System.Net;
using Keypost.Client;
using Keypost.Client.Contacts;
using Keypost.Client.Discovery;
using Keypost.Client.Reading;
using Keypost.Client.Sending;
using Keypost.Cli.ClientSide;
using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;
using Keypost.Core.Text;
using Keypost.Core.Policy;
using Keypost.Mail.Dns;
using Keypost.Directory.Publishing;
using Keypost.Server.Tls;

namespace Keypost.Cli.Demo;

/// <summary>
/// The whole story on one machine: two domains, each a real `keypost serve` on its own loopback address, a
/// DNS server, a throw-away CA. Leia's software finds Luke's key by WKD, encrypts and signs, submits; the
/// servers carry ciphertext; Luke fetches by IMAP and decrypts. Exit code 0 only if every step did what it should.
/// </summary>
public sealed class DemoRunner(TextWriter output, bool keep)
{
    private static readonly EmailAddress Luke = EmailAddress.Parse("luke@jedi.test");

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var root = System.IO.Directory.CreateTempSubdirectory("keypost-demo-").FullName;
        try
        {
            return await RunInAsync(root, cancellationToken);
        }
        finally
        {
            if (keep)
            {
                await output.WriteLineAsync($"data kept in {root}");
            }
            else
            {
                System.IO.Directory.Delete(root, recursive: true);
            }
        }
    }

    private async Task<int> RunInAsync(string root, CancellationToken cancellationToken)
    {
        const string Subject = "Death Star plans";
        const string Body = "The plans are in R2-D2. Meet me at Yavin 4.";
        var leiaAddress = EmailAddress.Parse("leia@rebel.test");
        var failures = 0;

        using var dns = new LoopbackDnsServer();
        var resolver = new MailDnsResolver(new MailDnsResolverOptions { NameServers = [dns.EndPoint], UseCache = false });
        using var ca = LocalCertificateAuthority.Create("Keypost demo CA");
        var jediAddress = IPAddress.Parse("127.0.0.10");
        var rebelAddress = IPAddress.Parse("127.0.0.11");
        var ports = DemoPorts.FindFree([jediAddress, rebelAddress]);
        await using var jedi = await DemoDomain.StartAsync("jedi.test", jediAddress, ports, ca, dns, root, cancellationToken);
        await using var rebel = await DemoDomain.StartAsync("rebel.test", rebelAddress, ports, ca, dns, root, cancellationToken);
        await Step($"DNS on {dns.EndPoint}; jedi.test on {jediAddress} and rebel.test on {rebelAddress}: WKD https :{ports.Https}, SMTP :{ports.Smtp}, submission :{ports.Submission}, IMAP :{ports.Imaps}");

        const string LukePassword = "luke-demo-password";
        const string LeiaPassword = "leia-demo-password";
        await jedi.AddAccountAsync(Luke, LukePassword, cancellationToken);
        await rebel.AddAccountAsync(leiaAddress, LeiaPassword, cancellationToken);
        var lukeKey = new KeyGenerator().Generate(new KeyGenerationRequest(Luke) { DisplayName = "Luke Skywalker", Passphrase = LukePassword });
        var leiaKey = new KeyGenerator().Generate(new KeyGenerationRequest(leiaAddress) { DisplayName = "Leia Organa", Passphrase = LeiaPassword });
        await new KeyPublisher(jedi.Server.Store, new CertificatePolicy(), TimeProvider.System).PublishAsync(lukeKey.Certificate.ToBinary(), null, cancellationToken);
        await new KeyPublisher(rebel.Server.Store, new CertificatePolicy(), TimeProvider.System).PublishAsync(leiaKey.Certificate.ToBinary(), null, cancellationToken);
        await Step($"Luke's key {lukeKey.Fingerprint} is published by jedi.test, Leia's {leiaKey.Fingerprint} by rebel.test");
        // The servers' sequencers seal an epoch within a second; sealing here keeps the demo from waiting for it.
        await jedi.Server.Transparency!.SequenceAsync(cancellationToken);
        await rebel.Server.Transparency!.SequenceAsync(cancellationToken);
        await Step($"both domains logged the keys: jedi.test's log key is {jedi.Server.Transparency.VerifierKey("jedi.test")}");

        using var http = WkdHttp.CreateHttpClient(resolver, ports.Https, ca.Certificate);
        var leiaPins = new PinStore(Path.Combine(root, "leia-client", "pins.db"), TimeProvider.System);
        var leiaLogs = new LogStore(Path.Combine(root, "leia-client", "logs.db"), TimeProvider.System);
        var leiaDiscovery = new KeyDiscovery(new WkdClient(http), leiaPins, KeyChangePolicy.Refuse, new LogChecker(http, leiaLogs, TimeProvider.System), _ => true);
        var found = await leiaDiscovery.DiscoverAsync(Luke, cancellationToken);
        if (found.Certificate?.Fingerprint == lukeKey.Fingerprint && found.Usable && found.Log is { } proof)
        {
            await Step($"Leia's software asked jedi.test for {Luke} ({found.Lookup.Url.Host}): {found.Explanation}");
            await output.WriteLineAsync($"      proved by the log: size {proof.Checkpoint.Size}, epoch {proof.Epoch.Epoch}, version {proof.Binding!.Version}; verified: VRF, map, inclusion, checkpoint signature");
        }
        else
        {
            failures++;
            await Fail($"discovery for {Luke}: {found.Explanation}");
        }

        var policy = new SendPolicy(new Dictionary<string, EncryptionPolicy> { ["jedi.test"] = EncryptionPolicy.Require });
        var leiaServer = new MailServerConnection(rebelAddress.ToString(), ports.Submission, ports.Imaps, leiaAddress.ToString(), LeiaPassword, ca.Certificate);
        var sent = await new MailSender(leiaDiscovery, policy, leiaKey.Unlock(LeiaPassword), leiaServer, TimeProvider.System)
            .SendAsync(new OutgoingMessage(leiaAddress.ToString(), [Luke.ToString()], Subject, Body), cancellationToken);
        await Step($"Leia wrote \"{Subject}\"; it was {(sent.Mode == SendMode.Encrypt ? "encrypted to Luke and Leia and signed" : sent.Mode.ToString())}, submitted to rebel.test over STARTTLS with AUTH");

        var stored = await WaitForMailAsync(jedi.MaildirOf(Luke), TimeSpan.FromSeconds(60), cancellationToken);
        if (stored is null)
        {
            await Fail("the message did not reach Luke's mailbox at jedi.test");
            return 1;
        }

        var storedText = await File.ReadAllTextAsync(stored, cancellationToken);
        var storedMessage = await MimeKit.MimeMessage.LoadAsync(stored, cancellationToken);
        var leaked = storedText.Contains(Body, StringComparison.Ordinal) || storedText.Contains(Subject, StringComparison.Ordinal);
        await Step("rebel.test DKIM-signed it and delivered it to jedi.test's MX over STARTTLS; jedi.test checked it:");
        foreach (var header in storedMessage.Headers.Where(h => h.Id == MimeKit.HeaderId.AuthenticationResults))
        {
            await output.WriteLineAsync("      Authentication-Results: " + string.Join(' ', header.Value.Split(['\r', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries).Select(v => v.Trim())));
        }

        await output.WriteLineAsync("      what the servers saw of the content (jedi.test's copy, decoded):");
        foreach (var line in ObserverView(storedMessage))
        {
            await output.WriteLineAsync("      | " + line);
        }

        if (leaked)
        {
            failures++;
            await Fail("the body or the real subject is readable on the server");
        }
        else
        {
            await Step("neither the body nor the real subject appears anywhere on the servers");
        }

        var lukeServer = new MailServerConnection(jediAddress.ToString(), ports.Submission, ports.Imaps, Luke.ToString(), LukePassword, ca.Certificate);
        var lukeDiscovery = new KeyDiscovery(new WkdClient(http), new PinStore(Path.Combine(root, "luke-client", "pins.db"), TimeProvider.System));
        var lukeSigners = new SignerKeys(KnownSignerKeys.InMemory(), null, lukeDiscovery, TimeProvider.System);
        var inbox = await new MailReader(lukeKey.Unlock(LukePassword), lukeServer, lukeSigners).ListAsync(MailReader.Inbox, null, cancellationToken);
        var read = inbox.Messages.FirstOrDefault();
        if (read?.Result is null)
        {
            await Fail("Luke's inbox is empty over IMAP");
            return 1;
        }

        await Step($"Luke fetched it over IMAP and decrypted it on his machine ({(read.Result.Encryption.IsIntegrityProtected ? "integrity protected" : "NOT integrity protected")}):");
        await output.WriteLineAsync($"      Subject: {read.Result.DisplaySubject}");
        await output.WriteLineAsync($"      {DisplayText.Escape(read.Text.Trim())}");
        var signature = read.Result.Signature;
        if (signature.IsValid && string.Equals(signature.SignerAddress, leiaAddress.Canonical, StringComparison.OrdinalIgnoreCase))
        {
            await output.WriteLineAsync($"      signed by {signature.SignerAddress}, key {signature.SignerFingerprint} found by WKD at rebel.test and pinned on first use");
        }
        else
        {
            failures++;
            await Fail($"signature: {signature.Status} {signature.Reason}");
        }

        if (read.Result.Subject != Subject || !read.Text.Contains(Body, StringComparison.Ordinal))
        {
            failures++;
            await Fail("the decrypted subject or body is not what Leia wrote");
        }

        failures += await SwapAsync(jedi, http, leiaKey.Unlock(LeiaPassword), leiaServer, leiaPins, leiaLogs, policy, cancellationToken);
        await output.WriteLineAsync(failures == 0 ? "demo: every step succeeded" : $"demo: {failures} step(s) FAILED");
        return failures == 0 ? 0 : 1;
    }

    /// <summary>
    /// Issue #8 (a): jedi.test's operator swaps Luke's certificate in the database by SQL, bypassing the directory's
    /// code and so the log. WKD now serves the forged key; Leia's next send must refuse, naming the failed check.
    /// </summary>
    private async Task<int> SwapAsync(DemoDomain jedi, HttpClient http, UnlockedSecretKey leia, MailServerConnection leiaServer,
        PinStore pins, LogStore logs, SendPolicy policy, CancellationToken cancellationToken)
    {
        var forged = new KeyGenerator().Generate(new KeyGenerationRequest(Luke) { DisplayName = "Luke Skywalker" }).Certificate;
        await using (var connection = await jedi.Server.Store.Database.ConnectAsync(cancellationToken))
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = "UPDATE certificates SET data = $1, fingerprint = $2 WHERE address = $3 AND state = 'current'";
            command.Parameters.AddWithValue("$1", CertificateMinimizer.Minimize(forged, Luke).ToBinary());
            command.Parameters.AddWithValue("$2", forged.Fingerprint);
            command.Parameters.AddWithValue("$3", Luke.Canonical);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await Step($"jedi.test's operator swapped Luke's key for {forged.Fingerprint} by SQL; WKD now serves the forged key");
        // A later session of Leia's software: nothing cached, same pins and log state.
        var discovery = new KeyDiscovery(new WkdClient(http), pins, KeyChangePolicy.Refuse, new LogChecker(http, logs, TimeProvider.System), _ => true);
        try
        {
            await new MailSender(discovery, policy, leia, leiaServer, TimeProvider.System)
                .SendAsync(new OutgoingMessage(leia.Certificate.UserIds[0].Address!.ToString(), [Luke.ToString()], "Are you there?", "Luke?"), cancellationToken);
            await Fail("Leia's send went out with the swapped key");
            return 1;
        }
        catch (SendRefusedException e) when (e.Message.Contains("transparency check failed", StringComparison.Ordinal))
        {
            await Step($"Leia's send was refused: {e.Message}");
            return 0;
        }
    }

    private static async Task<string?> WaitForMailAsync(string maildir, TimeSpan patience, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + patience;
        while (DateTime.UtcNow < deadline)
        {
            var file = new[] { "new", "cur" }.Select(d => Path.Combine(maildir, d)).Where(System.IO.Directory.Exists)
                .SelectMany(System.IO.Directory.EnumerateFiles).FirstOrDefault();
            if (file is not null)
            {
                return file;
            }

            await Task.Delay(200, cancellationToken);
        }

        return null;
    }

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

    private Task Step(string text) => output.WriteLineAsync("  ok  " + text);

    private Task Fail(string text) => output.WriteLineAsync("  FAIL " + text);
}
