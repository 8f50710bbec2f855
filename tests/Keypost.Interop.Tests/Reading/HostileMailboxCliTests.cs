using System.Globalization;
using System.Text.Json;
using Keypost.Client.Reading;
using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;
using Keypost.LocalServe;
using Keypost.Testing.Beds;
using Keypost.Testing;
using Keypost.Testing.PgpMime;

namespace Keypost.Interop.Tests.Reading;

/// <summary>
/// Issue #10, end to end: Luke's inbox on a real Keypost server holds the hostile mailbox (31 attack kinds plus
/// valid mail, put there by IMAP APPEND) and Junk holds more; the `keypost` CLI lists every message with its own
/// state and exit 0, reads each valid one, refuses each altered one with exit 1, and moves one out of Junk.
/// </summary>
public sealed class HostileMailboxCliTests : IAsyncLifetime
{
    private const string Luke = "luke@jedi.test";

    private readonly TempDirectory _root = new("keypost-hostile-cli");
    private readonly SecretKey _luke = Crafted.Key(Luke);
    private readonly TestBed _bed = TestBed.Create("keypost-reading");
    private LocalDomain _node = null!;
    private HostileMailbox _mailbox = null!;

    public async Task InitializeAsync()
    {
        _node = await _bed.StartAsync(TestBed.Alone);
        _mailbox = new HostileMailbox(_luke);
        await _node.AppendAsync(EmailAddress.Parse(Luke), "INBOX", _mailbox.Cases.Select(c => c.Message));
        await _node.AppendAsync(EmailAddress.Parse(Luke), "Junk", _mailbox.Cases.Where(c => c.Kind is "valid-encrypted-signed" or "forged-signer-vader-as-leia").Select(c => c.Message));

        var home = _root.Combine("home");
        await File.WriteAllTextAsync(_root.Combine("luke.asc"), _luke.ToArmored());
        var init = await KeypostCli.RunAsync(
            ["client", "init", "--home", home, "--address", Luke, "--server", "127.0.0.1",
             "--imap-port", _node.Imaps.Port.ToString(CultureInfo.InvariantCulture), "--ca", _bed.CaFile,
             "--secret-key", _root.Combine("luke.asc")]);
        Assert.True(init.ExitCode == 0, init.ToString());
        // The senders' keys Luke already holds (as after an earlier listing); this test makes no lookup at all.
        var known = await KnownSignerKeys.LoadAsync(Path.Combine(home, "signer-keys.json"), CancellationToken.None);
        await known.RecordLookupAsync(EmailAddress.Parse(HostileMailbox.Leia), DateTimeOffset.UtcNow, _mailbox.LeiaKey.Certificate, CancellationToken.None);
        await known.RecordLookupAsync(EmailAddress.Parse("vader@empire.test"), DateTimeOffset.UtcNow, _mailbox.VaderKey.Certificate, CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await _bed.DisposeAsync();
        _root.Dispose();
    }

    [Fact]
    public async Task Inbox_lists_every_message_with_its_own_state_and_each_reads_or_is_refused_on_its_own()
    {
        var json = await Run("inbox", "--json", "--no-lookup");
        Assert.True(json.ExitCode == 0, json.ToString());
        using var document = JsonDocument.Parse(json.StandardOutput);
        var messages = document.RootElement.GetProperty("messages").EnumerateArray().ToList();
        Assert.Equal(_mailbox.Cases.Count, messages.Count);
        Assert.Equal(2, document.RootElement.GetProperty("junk").GetInt32());
        for (var i = 0; i < messages.Count; i++)
        {
            var expected = _mailbox.Cases[i].ExpectedState;
            var state = messages[i].GetProperty("state").GetString();
            Assert.True(
                string.Equals(char.ToLowerInvariant(expected[0]) + expected[1..], state, StringComparison.Ordinal),
                $"{_mailbox.Cases[i].Kind}: listed as {state}, expected {expected} ({messages[i].GetProperty("explanation").GetString()})");
        }

        // The second listing takes what the first found from the read cache (encrypted to Luke's key) and agrees.
        var again = await Run("inbox", "--json", "--no-lookup");
        Assert.True(again.ExitCode == 0, again.ToString());
        using var second = JsonDocument.Parse(again.StandardOutput);
        Assert.Equal(
            messages.Select(m => m.GetProperty("state").GetString() + " " + m.GetProperty("subject").GetString()),
            second.RootElement.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("state").GetString() + " " + m.GetProperty("subject").GetString()));
        var cacheFiles = System.IO.Directory.GetFiles(_root.Combine("home", "read-cache"));
        Assert.NotEmpty(cacheFiles);
        Assert.All(cacheFiles, f => Assert.DoesNotContain("Death Star plans", File.ReadAllText(f), StringComparison.Ordinal));

        var text = await Run("inbox", "--no-lookup");
        Assert.True(text.ExitCode == 0, text.ToString());
        var lines = text.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(_mailbox.Cases.Count + 1, lines.Length);
        Assert.StartsWith("-- Junk holds 2 message(s)", lines[^1], StringComparison.Ordinal);
        Assert.DoesNotContain('\u001b', text.StandardOutput);

        for (var i = 0; i < messages.Count; i++)
        {
            var test = _mailbox.Cases[i];
            var uid = messages[i].GetProperty("uid").GetUInt32().ToString(CultureInfo.InvariantCulture);
            var read = await Run("read", uid);
            if (test.ExpectedState == "Refused")
            {
                Assert.True(read.ExitCode == 1, $"{test.Kind}: {read}");
                Assert.Contains("REFUSED", read.StandardError, StringComparison.Ordinal);
                Assert.Equal("", read.StandardOutput);
            }
            else
            {
                Assert.True(read.ExitCode == 0, $"{test.Kind}: {read}");
            }

            if (test.MustNotShow is { } secret)
            {
                Assert.DoesNotContain(secret, read.StandardOutput + read.StandardError, StringComparison.Ordinal);
            }

            Assert.DoesNotContain('\u001b', read.StandardOutput);
        }

        var valid = await Run("read", messages[0].GetProperty("uid").GetUInt32().ToString(CultureInfo.InvariantCulture));
        Assert.Contains("Subject: Death Star plans", valid.StandardOutput, StringComparison.Ordinal);
        Assert.Contains(HostileMailbox.Secret, valid.StandardOutput, StringComparison.Ordinal);
        var thunderbird = _mailbox.Cases.ToList().FindIndex(c => c.Kind == "valid-thunderbird-protected-headers-v1");
        var tb = await Run("read", messages[thunderbird].GetProperty("uid").GetUInt32().ToString(CultureInfo.InvariantCulture));
        Assert.Contains("Subject: Rendezvous on Hoth", tb.StandardOutput, StringComparison.Ordinal);
        var stray = _mailbox.Cases.ToList().FindIndex(c => c.Kind == "stray-application-pgp-encrypted-part");
        var strayRead = await Run("read", messages[stray].GetProperty("uid").GetUInt32().ToString(CultureInfo.InvariantCulture));
        Assert.Contains("[attachment: message.asc (application/pgp-encrypted) - OpenPGP data outside the encrypted message, NOT decrypted]", strayRead.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Read_is_usage_error_2_for_an_unknown_id_a_bad_id_or_a_stale_uidvalidity_and_json_reads_one()
    {
        var listing = await Run("inbox", "--json", "--no-lookup");
        using var document = JsonDocument.Parse(listing.StandardOutput);
        var validity = document.RootElement.GetProperty("uidValidity").GetUInt32();

        var unknown = await Run("read", "99999");
        var bad = await Run("read", "abc");
        var stale = await Run("read", $"{validity + 1}:1");
        var named = await Run("read", $"{validity}:1", "--json");

        Assert.True(unknown.ExitCode == 2, unknown.ToString());
        Assert.True(bad.ExitCode == 2, bad.ToString());
        Assert.True(stale.ExitCode == 2, stale.ToString());
        Assert.Contains("changed since it was listed", stale.StandardError, StringComparison.Ordinal);
        Assert.True(named.ExitCode == 0, named.ToString());
        using var one = JsonDocument.Parse(named.StandardOutput);
        Assert.Equal("encryptedAndVerified", one.RootElement.GetProperty("state").GetString());
        Assert.Equal("Death Star plans", one.RootElement.GetProperty("subject").GetString());
        Assert.Contains(HostileMailbox.Secret, one.RootElement.GetProperty("text").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Junk_is_listed_read_and_a_message_moved_out_of_it()
    {
        var folders = await Run("folders");
        Assert.True(folders.ExitCode == 0, folders.ToString());
        Assert.Contains("Junk\t2 messages", folders.StandardOutput, StringComparison.Ordinal);

        var junk = await Run("inbox", "--folder", "Junk", "--json", "--no-lookup");
        Assert.True(junk.ExitCode == 0, junk.ToString());
        using var document = JsonDocument.Parse(junk.StandardOutput);
        var first = document.RootElement.GetProperty("messages")[0];
        Assert.Equal("encryptedAndVerified", first.GetProperty("state").GetString());
        var uid = first.GetProperty("uid").GetUInt32().ToString(CultureInfo.InvariantCulture);
        var read = await Run("read", uid, "--folder", "Junk");
        Assert.True(read.ExitCode == 0, read.ToString());
        Assert.Contains("Subject: Death Star plans", read.StandardOutput, StringComparison.Ordinal);

        var moved = await Run("move", uid, "INBOX", "--folder", "Junk");
        Assert.True(moved.ExitCode == 0, moved.ToString());
        var after = await Run("folders", "--json");
        using var counts = JsonDocument.Parse(after.StandardOutput);
        var byName = counts.RootElement.GetProperty("folders").EnumerateArray().ToDictionary(f => f.GetProperty("name").GetString()!, f => f.GetProperty("messages").GetInt32());
        Assert.Equal(1, byName["Junk"]);
        Assert.Equal(_mailbox.Cases.Count + 1, byName["INBOX"]);
    }

    private Task<ProcessResult> Run(params string[] arguments) =>
        KeypostCli.RunAsync([.. arguments, "--home", _root.Combine("home")], environment: new Dictionary<string, string> { ["KEYPOST_PASSWORD"] = TestBed.LukePassword });
}
