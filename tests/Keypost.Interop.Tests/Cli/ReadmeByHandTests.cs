using System.Text.RegularExpressions;
using Keypost.Testing.Beds;
using Keypost.Testing;

namespace Keypost.Interop.Tests.Cli;

/// <summary>
/// Issue #17: the README's "Trying it by hand" block, pasted into bash as written (extracted from README.md, not
/// copied here), works: IMAP listeners, `keypost user add`, a certificate covering the mail host, WKD found with
/// curl standing in for DNS, a message submitted and read back over IMAP.
/// </summary>
public sealed partial class ReadmeByHandTests : IDisposable
{
    private readonly TempDirectory _root = new("keypost-readme");

    public void Dispose() => _root.Dispose();

    [ToolFact("bash", "curl", "openssl", "gpg")]
    public async Task The_by_hand_section_works_pasted_as_written()
    {
        var block = ByHandBlock(await File.ReadAllTextAsync(FindReadme()));
        Assert.Contains("./keypost user add", block, StringComparison.Ordinal);
        Assert.Contains("\"imapTls\"", block, StringComparison.Ordinal);
        Assert.Contains("DNS:mail.jedi.test", block, StringComparison.Ordinal);

        // `./keypost` in the checkout runs `dotnet run`; here the same command is the built assembly. The trap is
        // the harness's, not the README's: a failing step must not leave the server running.
        var shim = _root.Combine("keypost");
        await File.WriteAllTextAsync(shim, $"#!/bin/sh\nexec dotnet '{KeypostCli.AssemblyPath}' \"$@\"\n");
        File.SetUnixFileMode(shim, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var script = _root.Combine("by-hand.sh");
        await File.WriteAllTextAsync(script, "set -eo pipefail\ntrap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n" + block);

        System.IO.Directory.CreateDirectory(_root.Combine("gnupg"));
        var run = await ProcessRunner.RunAsync(
            "bash", [script],
            environment: new Dictionary<string, string> { ["HOME"] = _root.Path, ["GNUPGHOME"] = _root.Combine("gnupg") },
            timeout: TimeSpan.FromMinutes(5),
            workingDirectory: _root.Path);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("account luke@jedi.test created", run.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("published ", run.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("jedi.test. IN MX 10 mail.jedi.test.", run.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("Luke Skywalker <luke@jedi.test>", run.StandardOutput, StringComparison.Ordinal); // gpg --show-keys
        // IMAP fetch: stored encrypted at rest to Luke's published key, so neither the subject nor the body shows.
        Assert.Contains("Subject: [...]", run.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("Content-Type: multipart/encrypted", run.StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("Hello from the checkout", run.StandardOutput, StringComparison.Ordinal);
    }

    private static string ByHandBlock(string readme)
    {
        var section = readme.IndexOf("## Trying it by hand", StringComparison.Ordinal);
        Assert.True(section >= 0, "README.md has no 'Trying it by hand' section");
        var match = Fence().Match(readme, section);
        Assert.True(match.Success, "no ```sh block in the by-hand section");
        return match.Groups[1].Value;
    }

    private static string FindReadme()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "README.md");
            if (File.Exists(candidate) && File.Exists(Path.Combine(directory.FullName, "Keypost.slnx")))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException("README.md of the checkout not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex(@"```sh\n(.*?)\n```", RegexOptions.Singleline)]
    private static partial Regex Fence();
}
