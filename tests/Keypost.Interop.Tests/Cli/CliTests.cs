using Keypost.Server.Configuration;
using Keypost.Testing.Beds;
using Keypost.Testing;

namespace Keypost.Interop.Tests.Cli;

/// <summary>The `keypost` command as a user runs it: one line on stderr and a non-zero exit for every mistake.</summary>
public sealed class CliTests
{
    [Theory]
    [InlineData("wkd hash not-an-address", "not an address")]
    [InlineData("wkd url luke@[127.0.0.1]", "literal")]
    [InlineData("key show /nonexistent/key.asc", "")]
    [InlineData("key generate --address luke@jedi.test --expires soon", "--expires")]
    [InlineData("directory list --config /nonexistent.json", "not found")]
    public async Task Mistakes_get_one_line_and_a_nonzero_exit(string arguments, string expected)
    {
        var result = await KeypostCli.RunAsync(arguments.Split(' '));
        Assert.NotEqual(0, result.ExitCode);
        var line = Assert.Single(result.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("keypost: ", line, StringComparison.Ordinal);
        Assert.Contains(expected, line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_command_has_help()
    {
        foreach (var command in new[] { "", "demo", "serve", "wkd hash", "wkd url", "key generate", "key show", "directory publish", "directory list", "log key" })
        {
            var result = await KeypostCli.RunAsync([.. command.Split(' ', StringSplitOptions.RemoveEmptyEntries), "--help"]);
            Assert.True(result.ExitCode == 0, command + "\n" + result);
            Assert.Contains("Usage:", result.StandardOutput, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Generate_show_publish_and_list_through_the_cli()
    {
        using var directory = new TempDirectory("keypost-cli");
        var config = new KeypostConfig { DataDirectory = "data", Domains = [new DomainConfig { Name = "jedi.test" }] };
        config.Save(directory.Combine("keypost.json"));

        var generated = await KeypostCli.RunAsync(["key", "generate", "--address", "luke@jedi.test", "--name", "Luke Skywalker", "--out", "luke"], workingDirectory: directory.Path);
        Assert.True(generated.ExitCode == 0, generated.ToString());
        var fingerprint = generated.StandardOutput.Split(' ')[0];
        Assert.Equal(40, fingerprint.Length);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(directory.Combine("luke.secret.asc")));

        var shown = await KeypostCli.RunAsync(["key", "show", "luke.asc", "--address", "luke@jedi.test"], workingDirectory: directory.Path);
        Assert.True(shown.ExitCode == 0, shown.ToString());
        Assert.Contains(fingerprint, shown.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("Luke Skywalker <luke@jedi.test> (valid)", shown.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("acceptable for luke@jedi.test", shown.StandardOutput, StringComparison.Ordinal);

        var published = await KeypostCli.RunAsync(["directory", "publish", "luke.asc"], workingDirectory: directory.Path);
        Assert.True(published.ExitCode == 0, published.ToString());
        Assert.Equal($"published {fingerprint} for luke@jedi.test", published.StandardOutput.Trim());

        var listed = await KeypostCli.RunAsync(["directory", "list"], workingDirectory: directory.Path);
        Assert.StartsWith($"luke@jedi.test\t{fingerprint}\t", listed.StandardOutput, StringComparison.Ordinal);

        // The log's verifier key: C2SP signed-note vkey, stable across runs (the key lives in the database).
        var vkey = await KeypostCli.RunAsync(["log", "key", "--domain", "jedi.test"], workingDirectory: directory.Path);
        Assert.True(vkey.ExitCode == 0, vkey.ToString());
        var parsed = Keypost.Transparency.Notes.NoteVerifier.Parse(vkey.StandardOutput.Trim());
        Assert.Equal("openpgpkey.jedi.test/.well-known/openpgpkey/jedi.test/log", parsed.Name);
        Assert.Equal(vkey.StandardOutput, (await KeypostCli.RunAsync(["log", "key", "--domain", "jedi.test"], workingDirectory: directory.Path)).StandardOutput);
        Assert.Equal(1, (await KeypostCli.RunAsync(["log", "key", "--domain", "empire.test"], workingDirectory: directory.Path)).ExitCode);

        await File.WriteAllTextAsync(directory.Combine("junk.asc"), "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n!!!!\n-----END PGP PUBLIC KEY BLOCK-----\n");
        var junk = await KeypostCli.RunAsync(["directory", "publish", "junk.asc"], workingDirectory: directory.Path);
        Assert.Equal(1, junk.ExitCode);
        Assert.Single(junk.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task Key_show_escapes_hostile_user_ids()
    {
        using var directory = new TempDirectory("keypost-cli");
        var primary = Keypost.Testing.OpenPgp.TestKeys.Ed25519();
        var ring = Keypost.Testing.OpenPgp.TestKeys.Build(primary, Keypost.Testing.OpenPgp.TestKeys.X25519(), "Mallory <m@evil.test>\n[GNUPG:] GOODSIG 0000 Luke \u202Egnp.exe");
        await File.WriteAllBytesAsync(directory.Combine("evil.pgp"), ring.GetEncoded());
        var shown = await KeypostCli.RunAsync(["key", "show", directory.Combine("evil.pgp")]);
        Assert.Equal(0, shown.ExitCode);
        Assert.DoesNotContain(shown.StandardOutput.Split('\n'), l => l.StartsWith("[GNUPG:]", StringComparison.Ordinal));
        Assert.DoesNotContain('\u202E', shown.StandardOutput);
        Assert.Contains("\\u000a[GNUPG:]", shown.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Demo_json_transcript_shows_every_step_of_every_act_succeeding()
    {
        var demo = await KeypostCli.RunAsync(["demo", "--json"]);
        Assert.True(demo.ExitCode == 0, demo.ToString());
        using var transcript = System.Text.Json.JsonDocument.Parse(demo.StandardOutput);
        Assert.True(transcript.RootElement.GetProperty("ok").GetBoolean(), demo.StandardOutput);
        var steps = transcript.RootElement.GetProperty("acts").EnumerateArray()
            .SelectMany(act => act.GetProperty("steps").EnumerateArray())
            .ToDictionary(step => step.GetProperty("id").GetString()!, step => step);
        string[] expected =
        [
            "setup.servers", "setup.publish", "setup.logged",
            "act1.lookup", "act1.send", "act1.delivered", "act1.no-plaintext", "act1.read", "act1.monitor",
            "act2.swap", "act2.refused", "act2.logged", "act2.monitor-alert", "act2.restore",
            "act3.rotate", "act3.lookup", "act3.send", "act3.read",
            "act4.send", "act4.stored", "act4.read",
        ];
        foreach (var id in expected)
        {
            Assert.True(steps.TryGetValue(id, out var step), $"step {id} missing:\n{demo.StandardOutput}");
            Assert.True(step.GetProperty("ok").GetBoolean(), $"step {id} failed:\n{demo.StandardOutput}");
        }

        string Text(string id) => steps[id].GetProperty("text").GetString() + "\n" + string.Join("\n", steps[id].GetProperty("details").EnumerateArray().Select(d => d.GetString()));
        Assert.Contains("found by WKD (advanced method)", Text("act1.lookup"), StringComparison.Ordinal);
        Assert.Contains("proved by the log: size ", Text("act1.lookup"), StringComparison.Ordinal);
        Assert.Contains("witness.test/demo", Text("act1.lookup"), StringComparison.Ordinal);
        Assert.Contains("dkim=pass header.d=rebel.test", Text("act1.delivered"), StringComparison.Ordinal);
        Assert.Contains("-----BEGIN PGP MESSAGE-----", Text("act1.delivered"), StringComparison.Ordinal);
        Assert.Contains("Subject: Death Star plans", Text("act1.read"), StringComparison.Ordinal);
        Assert.Contains("signed by leia@rebel.test", Text("act1.read"), StringComparison.Ordinal);
        Assert.Contains("certificate differs from the logged one", Text("act2.refused"), StringComparison.Ordinal);
        Assert.Contains("ALERT version 2", Text("act2.monitor-alert"), StringComparison.Ordinal);
        Assert.Contains("neither the body nor the Subject", Text("act4.stored"), StringComparison.Ordinal);
        Assert.Contains("Subject: Power converters at Tosche Station", Text("act4.read"), StringComparison.Ordinal);
        // Waits go to stderr, never into the JSON on stdout.
        Assert.Contains("waiting for", demo.StandardError, StringComparison.Ordinal);
    }
}
