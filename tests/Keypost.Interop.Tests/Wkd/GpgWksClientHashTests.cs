using Keypost.Testing.Beds;
using Keypost.Testing;

namespace Keypost.Interop.Tests.Wkd;

/// <summary>`keypost wkd hash|url` print what GnuPG's own gpg-wks-client prints.</summary>
public sealed class GpgWksClientHashTests
{
    private static readonly string[] Addresses =
    [
        "Joe.Doe@Example.ORG", "luke@jedi.test", "LUKE@JEDI.TEST", "Luke.Skywalker@Jedi.Test", "a+tag@x.test",
        "first.last+folder@sub.domain.test", "r2d2@astromech.test", "007@mi6.test", "Ünïcode.Ö@jedi.test",
        "δοκιμή@παράδειγμα.test", "日本語@example.test", "o'brien@x.test", "under_score-dash@x.test",
    ];

    [ToolFact("/usr/lib/gnupg/gpg-wks-client")]
    public async Task Hashes_match_gpg_wks_client()
    {
        var gpg = await ProcessRunner.RunAsync("/usr/lib/gnupg/gpg-wks-client", ["--print-wkd-hash", .. Addresses]);
        Assert.Equal(0, gpg.ExitCode);
        var ours = await KeypostCli.RunAsync(["wkd", "hash", .. Addresses]);
        Assert.Equal(0, ours.ExitCode);

        var gpgLines = Lines(gpg.StandardOutput);
        var ourLines = Lines(ours.StandardOutput);
        Assert.Equal(Addresses.Length, gpgLines.Length);
        for (var i = 0; i < Addresses.Length; i++)
        {
            var (gpgHash, gpgAddress) = Split(gpgLines[i]);
            var (ourHash, ourAddress) = Split(ourLines[i]);
            Assert.Equal(gpgHash, ourHash);
            // GnuPG prints an IDN domain as U-labels; Keypost prints the A-labels it uses everywhere.
            if (gpgAddress.All(char.IsAscii))
            {
                Assert.Equal(gpgAddress, ourAddress);
            }
        }
    }

    [ToolFact("/usr/lib/gnupg/gpg-wks-client")]
    public async Task Urls_match_gpg_wks_client_up_to_the_local_part_parameter()
    {
        foreach (var address in new[] { "joe.doe@example.org", "luke@jedi.test", "a+b@x.test" })
        {
            var gpg = await ProcessRunner.RunAsync("/usr/lib/gnupg/gpg-wks-client", ["--print-wkd-url", address]);
            var ours = await KeypostCli.RunAsync(["wkd", "url", address]);
            Assert.Equal(0, ours.ExitCode);
            // The draft keeps ?l= as written (percent-encoded); for these lower-case addresses the two agree
            // except that we encode '+'.
            Assert.Equal(gpg.StandardOutput.Trim().Replace("+", "%2B", StringComparison.Ordinal), ours.StandardOutput.Trim());
        }
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    private static (string Hash, string Address) Split(string line)
    {
        var space = line.IndexOf(' ', StringComparison.Ordinal);
        return (line[..space], line[(space + 1)..]);
    }
}
