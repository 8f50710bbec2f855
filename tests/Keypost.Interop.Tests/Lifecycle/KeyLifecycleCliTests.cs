using System.Net;
using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;
using Keypost.Directory.Monitoring;
using Keypost.Directory.Publishing;
using Keypost.LocalServe;
using Keypost.Testing.Beds;
using Keypost.Testing;

namespace Keypost.Interop.Tests.Lifecycle;

/// <summary>
/// Issue #12 with the `keypost` command against two real domains: Luke publishes his key from `client init`, then
/// rotates it (with and without a transition signature), extends it and revokes it, each through the authenticated
/// HTTPS publish endpoint; Leia's sends show what a sender holding a pin does with each; Luke's monitor reports every
/// new version as his own.
/// </summary>
public sealed class KeyLifecycleCliTests : IAsyncLifetime
{
    private static readonly EmailAddress Luke = EmailAddress.Parse("luke@jedi.test");
    private readonly TempDirectory _root = new("keypost-lifecycle-cli");
    private readonly TestBed _bed = TestBed.Create("keypost-lifecycle-cli-bed");
    private LocalDomain _jedi = null!;
    private LocalDomain _rebel = null!;
    private LocalPorts _ports = null!;

    public async Task InitializeAsync()
    {
        (_jedi, _rebel, _ports) = await _bed.StartTwoDomainsAsync("127.0.0.32", "127.0.0.33");
        await _jedi.AddAccountAsync(Luke, "luke-password", CancellationToken.None);
        await _rebel.AddAccountAsync(EmailAddress.Parse("leia@rebel.test"), "leia-password", CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await _bed.DisposeAsync();
        _root.Dispose();
    }

    [Fact]
    public async Task Rotate_extend_and_revoke_each_publish_a_new_logged_version_and_senders_act_on_each()
    {
        // client init publishes the key itself (no operator step).
        var init = await InitAsync("luke", "luke@jedi.test", "Luke Skywalker");
        Assert.Contains("published for luke@jedi.test", init.StandardOutput, StringComparison.Ordinal);
        var first = (await _jedi.Server.Store.FindCurrentAsync(Luke, CancellationToken.None))!;
        Assert.Contains("Luke Skywalker <luke@jedi.test>", Certificate.Parse(first.Data).UserIds[0].Text, StringComparison.Ordinal);
        await InitAsync("leia", "leia@rebel.test", null);
        await SealAsync();
        Assert.Contains("pinned on first use", (await Run("leia", "lookup", "luke@jedi.test")).StandardOutput, StringComparison.Ordinal);
        await AssertMonitorOkAsync(version: 1);
        var toFirstKey = await Run("leia", "send", "--to", "luke@jedi.test", "--subject", "before rotation", "--body", "to the first key");
        Assert.True(toFirstKey.ExitCode == 0, toFirstKey.ToString());
        await WaitForInboxAsync("luke", 1);

        // 1. Rotation with a transition signature: Leia's send goes out without a question.
        var rotated = await Run("luke", "key", "rotate");
        Assert.True(rotated.ExitCode == 0, rotated.ToString());
        var second = (await _jedi.Server.Store.FindCurrentAsync(Luke, CancellationToken.None))!;
        Assert.NotEqual(first.Fingerprint, second.Fingerprint);
        Assert.True(KeyLifecycle.IsSuccessorOf(Certificate.Parse(second.Data), Certificate.Parse(first.Data), Luke));
        // Mail encrypted to the first key still reads: the rotation kept its secret key beside the new one.
        var old = await Run("luke", "read", "1");
        Assert.True(old.ExitCode == 0, old.ToString());
        Assert.Contains("to the first key", old.StandardOutput, StringComparison.Ordinal);
        await SealAsync();
        var lookup = await Run("leia", "lookup", "luke@jedi.test");
        Assert.True(lookup.ExitCode == 0, lookup.ToString());
        Assert.Contains("successor of the pinned key " + first.Fingerprint, lookup.StandardOutput, StringComparison.Ordinal);
        var sent = await Run("leia", "send", "--to", "luke@jedi.test", "--subject", "after rotation", "--body", "b");
        Assert.True(sent.ExitCode == 0, sent.ToString());
        await AssertMonitorOkAsync(version: 2);

        // 2. Rotation without one: the changed-key policy (refuse) applies.
        var bare = await Run("luke", "key", "rotate", "--no-transition");
        Assert.True(bare.ExitCode == 0, bare.ToString());
        var third = (await _jedi.Server.Store.FindCurrentAsync(Luke, CancellationToken.None))!;
        await SealAsync();
        var refused = await Run("leia", "send", "--to", "luke@jedi.test", "--subject", "s", "--body", "b");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("CHANGED", refused.StandardError, StringComparison.Ordinal);
        Assert.Contains(second.Fingerprint, refused.StandardError, StringComparison.Ordinal);
        Assert.Contains(third.Fingerprint, refused.StandardError, StringComparison.Ordinal);
        Assert.Equal(0, (await Run("leia", "contact", "verify", "luke@jedi.test", third.Fingerprint)).ExitCode);
        await AssertMonitorOkAsync(version: 3);

        // 3. Renewal: same fingerprint, later expiry; the sender picks it up and still matches the pin.
        var before = Certificate.Parse(third.Data).ExpiresAt!.Value;
        var extended = await Run("luke", "key", "extend", "--expires", "1000");
        Assert.True(extended.ExitCode == 0, extended.ToString());
        var fourth = (await _jedi.Server.Store.FindCurrentAsync(Luke, CancellationToken.None))!;
        Assert.Equal(third.Fingerprint, fourth.Fingerprint);
        Assert.True(Certificate.Parse(fourth.Data).ExpiresAt > before.AddDays(200));
        await SealAsync();
        var renewed = await Run("leia", "lookup", "luke@jedi.test", "--json");
        Assert.True(renewed.ExitCode == 0, renewed.ToString());
        Assert.Contains(Certificate.Parse(fourth.Data).ExpiresAt!.Value.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), renewed.StandardOutput, StringComparison.Ordinal);
        Assert.Equal(0, (await Run("leia", "send", "--to", "luke@jedi.test", "--subject", "after renewal", "--body", "b")).ExitCode);
        await AssertMonitorOkAsync(version: 4);

        // The operator's own key for Luke (`keypost directory publish`'s path) is still an alert to the server's
        // monitor; Luke takes the address back by publishing his key again through his channel: his own change.
        var forged = new KeyGenerator().Generate(new KeyGenerationRequest(Luke));
        await new KeyPublisher(_jedi.Server.Store, new CertificatePolicy(), TimeProvider.System).PublishAsync(forged.Certificate.ToBinary(), null, CancellationToken.None);
        await SealAsync();
        Assert.Equal(forged.Fingerprint, Assert.Single(await ServerMonitorAlertsAsync()).Fingerprint);
        var retaken = await Run("luke", "key", "extend", "--expires", "1000");
        Assert.True(retaken.ExitCode == 0, retaken.ToString());
        Assert.Equal(third.Fingerprint, (await _jedi.Server.Store.FindCurrentAsync(Luke, CancellationToken.None))!.Fingerprint);
        await SealAsync();
        Assert.Empty(await ServerMonitorAlertsAsync());

        // 4. Revocation: WKD serves the revoked certificate; Leia never encrypts to it, and says why.
        var revoked = await Run("luke", "key", "revoke", "--reason", "laptop stolen");
        Assert.True(revoked.ExitCode == 0, revoked.ToString());
        var fifth = (await _jedi.Server.Store.FindCurrentAsync(Luke, CancellationToken.None))!;
        Assert.True(fifth.Revoked);
        await SealAsync();
        var afterRevoke = await Run("leia", "send", "--to", "luke@jedi.test", "--subject", "s", "--body", "b");
        Assert.Equal(1, afterRevoke.ExitCode);
        // The log's revoked binding stops it first; without a log, discovery's own check says REVOKED.
        Assert.Contains("revoked", afterRevoke.StandardError, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(7, (await _jedi.Server.Store.HistoryAsync(Luke, CancellationToken.None)).Count);
        Assert.Empty(await ServerMonitorAlertsAsync());
    }

    [Fact]
    public async Task Publishing_with_a_wrong_password_or_another_address_is_refused_and_nothing_changes()
    {
        var home = _root.Combine("vader-home");
        var init = await KeypostCli.RunAsync(
            [.. InitArguments(home, "luke@jedi.test", null)],
            environment: new Dictionary<string, string> { ["KEYPOST_PASSWORD"] = "not-lukes-password", ["KEYPOST_PASSPHRASE"] = "p" });
        Assert.Equal(1, init.ExitCode);
        Assert.Contains("refused the key (401)", init.StandardError, StringComparison.Ordinal);
        Assert.Empty(await _jedi.Server.Store.HistoryAsync(Luke, CancellationToken.None));
    }

    private async Task AssertMonitorOkAsync(int version)
    {
        var monitor = await Run("luke", "monitor");
        Assert.True(monitor.ExitCode == 0, monitor.ToString());
        Assert.Contains($"is version {version} with your key", monitor.StandardOutput, StringComparison.Ordinal);
        // Issue #12: the server's scheduled monitor takes the same change as the owner's own (no alert mail).
        Assert.Empty(await ServerMonitorAlertsAsync());
    }

    private async Task WaitForInboxAsync(string who, int count)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        while (true)
        {
            var inbox = await Run(who, "inbox", "--json", "--no-lookup");
            if (inbox.ExitCode == 0 && System.Text.Json.JsonDocument.Parse(inbox.StandardOutput).RootElement.GetProperty("messages").GetArrayLength() >= count)
            {
                return;
            }

            await Task.Delay(500, deadline.Token);
        }
    }

    private Task<IReadOnlyList<BindingAlert>> ServerMonitorAlertsAsync() =>
        GpgWksClientTests.ServerMonitorAlertsAsync(new BindingHistoryMonitor(_jedi.Server.Store.Database, BindingHistoryMonitor.DefaultRules, TimeProvider.System));

    private Task SealAsync() => _jedi.Server.Transparency!.SequenceAsync(CancellationToken.None);

    private async Task<ProcessResult> InitAsync(string who, string address, string? name)
    {
        var init = await KeypostCli.RunAsync(
            [.. InitArguments(_root.Combine(who + "-home"), address, name)],
            environment: new Dictionary<string, string> { ["KEYPOST_PASSWORD"] = who + "-password", ["KEYPOST_PASSPHRASE"] = who + "-passphrase" });
        Assert.True(init.ExitCode == 0, init.ToString());
        return init;
    }

    private string[] InitArguments(string home, string address, string? name)
    {
        var domain = address.EndsWith("jedi.test", StringComparison.Ordinal) ? _jedi : _rebel;
        string[] arguments =
        [
            "client", "init", "--home", home, "--address", address, "--server", domain.Address.ToString(),
            "--submission-port", _ports.Submission.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--imap-port", _ports.Imaps.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--ca", _bed.CaFile, "--dns", _bed.Dns.EndPoint.ToString(),
            "--https-port", _ports.Https.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ];
        return name is null ? arguments : [.. arguments, "--name", name];
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
