using Keypost.Server.Configuration;
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
    public async Task Demo_runs_and_exits_zero()
    {
        var demo = await KeypostCli.RunAsync(["demo"]);
        Assert.True(demo.ExitCode == 0, demo.ToString());
        Assert.Contains("found by WKD (advanced method)", demo.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("dkim=pass header.d=rebel.test", demo.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("-----BEGIN PGP MESSAGE-----", demo.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("Subject: Death Star plans", demo.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("signed by leia@rebel.test", demo.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("proved by the log: size ", demo.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("Leia's send was refused", demo.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("certificate differs from the logged one", demo.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("every step succeeded", demo.StandardOutput, StringComparison.Ordinal);
    }
}
