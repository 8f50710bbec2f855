using System.Net;
using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;
using Keypost.Directory.Publishing;
using Keypost.LocalServe;
using Keypost.Testing.Beds;
using Keypost.Testing;

namespace Keypost.Interop.Tests.Cli;

/// <summary>
/// The user's commands against two real domains: Leia and Luke each set up a client, publish their keys, and
/// `keypost send`, `inbox`, `read`, `lookup` and `contact` do the rest as separate processes.
/// </summary>
public sealed class ClientCliTests : IAsyncLifetime
{
    private readonly TempDirectory _root = new("keypost-client-cli");
    private readonly TestBed _bed = TestBed.Create("keypost-client-cli-bed");
    private LocalDomain _jedi = null!;
    private LocalDomain _rebel = null!;
    private LocalPorts _ports = null!;

    public async Task InitializeAsync()
    {
        (_jedi, _rebel, _ports) = await _bed.StartTwoDomainsAsync("127.0.0.20", "127.0.0.21");
        await _jedi.AddAccountAsync(EmailAddress.Parse("luke@jedi.test"), "luke-password", CancellationToken.None);
        await _rebel.AddAccountAsync(EmailAddress.Parse("leia@rebel.test"), "leia-password", CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await _bed.DisposeAsync();
        _root.Dispose();
    }

    [Fact]
    public async Task Leia_sends_encrypted_and_luke_reads_it_signed_with_the_cli()
    {
        await InitAsync("leia", "leia@rebel.test", _rebel);
        await InitAsync("luke", "luke@jedi.test", _jedi);

        var lookup = await Run("leia", "lookup", "luke@jedi.test");
        Assert.True(lookup.ExitCode == 0, lookup.ToString());
        Assert.Contains("pinned on first use", lookup.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("proved by the log: size ", lookup.StandardOutput, StringComparison.Ordinal);

        var sent = await Run("leia", "send", "--to", "luke@jedi.test", "--subject", "Death Star plans", "--body", "They are in R2-D2.");
        Assert.True(sent.ExitCode == 0, sent.ToString());
        Assert.Contains("sent encrypted and signed", sent.StandardOutput, StringComparison.Ordinal);

        ProcessResult inbox = null!;
        for (var i = 0; i < 60; i++)
        {
            inbox = await Run("luke", "inbox");
            if (inbox.StandardOutput.Contains("Death Star plans", StringComparison.Ordinal))
            {
                break;
            }

            await Task.Delay(500);
        }

        Assert.Contains("encrypted, signed by leia@rebel.test", inbox.StandardOutput, StringComparison.Ordinal);
        var uid = inbox.StandardOutput.Split('\t')[0].Trim();
        var read = await Run("luke", "read", uid);
        Assert.True(read.ExitCode == 0, read.ToString());
        Assert.Contains("Subject: Death Star plans", read.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("They are in R2-D2.", read.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("signed by leia@rebel.test", read.StandardOutput, StringComparison.Ordinal);

        var contacts = await Run("leia", "contact", "list");
        Assert.Contains("luke@jedi.test", contacts.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_changed_key_is_refused_showing_both_fingerprints_until_verified()
    {
        await InitAsync("leia", "leia@rebel.test", _rebel);
        var luke = await InitAsync("luke", "luke@jedi.test", _jedi);
        Assert.Equal(0, (await Run("leia", "lookup", "luke@jedi.test")).ExitCode);

        var replacement = new KeyGenerator().Generate(new KeyGenerationRequest(EmailAddress.Parse("luke@jedi.test")));
        await new KeyPublisher(_jedi.Server.Store, new CertificatePolicy(), TimeProvider.System).PublishAsync(replacement.Certificate.ToBinary(), null, CancellationToken.None);
        await _jedi.Server.Transparency!.SequenceAsync(CancellationToken.None);

        var refused = await Run("leia", "send", "--to", "luke@jedi.test", "--subject", "s", "--body", "b");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("CHANGED", refused.StandardError, StringComparison.Ordinal);
        Assert.Contains(luke, refused.StandardError, StringComparison.Ordinal);
        Assert.Contains(replacement.Fingerprint, refused.StandardError, StringComparison.Ordinal);

        Assert.Equal(0, (await Run("leia", "contact", "verify", "luke@jedi.test", replacement.Fingerprint)).ExitCode);
        var sent = await Run("leia", "send", "--to", "luke@jedi.test", "--subject", "s", "--body", "b");
        Assert.True(sent.ExitCode == 0, sent.ToString());
    }

    private async Task<string> InitAsync(string who, string address, LocalDomain domain)
    {
        var home = _root.Combine(who + "-home");
        await File.WriteAllTextAsync(_root.Combine(who + ".pass"), who + "-passphrase\n");
        var init = await KeypostCli.RunAsync(
            ["client", "init", "--home", home, "--address", address, "--server", domain.Address.ToString(),
             "--submission-port", _ports.Submission.ToString(System.Globalization.CultureInfo.InvariantCulture),
             "--imap-port", _ports.Imaps.ToString(System.Globalization.CultureInfo.InvariantCulture),
             "--ca", _bed.CaFile, "--dns", _bed.Dns.EndPoint.ToString(),
             "--https-port", _ports.Https.ToString(System.Globalization.CultureInfo.InvariantCulture),
             "--passphrase-file", _root.Combine(who + ".pass")]);
        Assert.True(init.ExitCode == 0, init.ToString());
        var certificate = await File.ReadAllTextAsync(Path.Combine(home, "certificate.asc"));
        var published = await new KeyPublisher(domain.Server.Store, new CertificatePolicy(), TimeProvider.System)
            .PublishAsync(System.Text.Encoding.ASCII.GetBytes(certificate), null, CancellationToken.None);
        // The server's sequencer logs it within a second; sealing here keeps the test from racing it.
        await domain.Server.Transparency!.SequenceAsync(CancellationToken.None);
        return Assert.Single(published).Fingerprint;
    }

    private Task<ProcessResult> Run(string who, params string[] arguments) =>
        KeypostCli.RunAsync(
            [.. arguments, "--home", _root.Combine(who + "-home")],
            environment: new Dictionary<string, string>
            {
                ["KEYPOST_PASSWORD"] = who + "-password",
                ["KEYPOST_PASSPHRASE"] = who + "-passphrase",
            });
}
