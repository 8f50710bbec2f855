using Keypost.Server.Configuration;
using Keypost.Testing.Beds;
using Keypost.Testing;

namespace Keypost.Interop.Tests.Cli;

/// <summary>`keypost user`, `keypost queue` and `keypost dns-records` against a real data directory.</summary>
public sealed class MailCliTests
{
    [Fact]
    public async Task Users_are_added_listed_refused_twice_and_removed()
    {
        using var directory = NewConfig();
        var added = await Run(directory, "sup3r-secret\n", "user", "add", "luke@jedi.test");
        Assert.True(added.ExitCode == 0, added.ToString());
        var again = await Run(directory, "sup3r-secret\n", "user", "add", "luke@jedi.test");
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("already has an account", again.StandardError, StringComparison.Ordinal);
        var weak = await Run(directory, "short\n", "user", "add", "leia@jedi.test");
        Assert.Equal(1, weak.ExitCode);
        var foreign = await Run(directory, "sup3r-secret\n", "user", "add", "vader@empire.test");
        Assert.Equal(1, foreign.ExitCode);
        Assert.Contains("not a domain this server hosts", foreign.StandardError, StringComparison.Ordinal);

        var listed = await Run(directory, null, "user", "list");
        Assert.Equal("luke@jedi.test", listed.StandardOutput.Trim());
        Assert.Equal(0, (await Run(directory, "an0ther-secret\n", "user", "passwd", "luke@jedi.test")).ExitCode);
        Assert.Equal(0, (await Run(directory, null, "user", "remove", "luke@jedi.test")).ExitCode);
        Assert.Equal(1, (await Run(directory, "an0ther-secret\n", "user", "passwd", "luke@jedi.test")).ExitCode);
    }

    [Fact]
    public async Task Queue_commands_work_on_an_empty_queue_and_refuse_bad_ids()
    {
        using var directory = NewConfig();
        var listed = await Run(directory, null, "queue", "list");
        Assert.True(listed.ExitCode == 0, listed.ToString());
        Assert.Contains("0 message(s) queued", listed.StandardOutput, StringComparison.Ordinal);
        Assert.Equal(0, (await Run(directory, null, "queue", "flush")).ExitCode);
        var removed = await Run(directory, null, "queue", "remove", "../../etc/passwd");
        Assert.Equal(1, removed.ExitCode);
        Assert.Single(removed.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task Dns_records_name_mx_spf_dkim_and_dmarc()
    {
        using var directory = NewConfig();
        var records = await Run(directory, null, "dns-records", "jedi.test");
        Assert.True(records.ExitCode == 0, records.ToString());
        var text = records.StandardOutput;
        Assert.Contains("jedi.test. IN MX 10 mail.jedi.test.", text, StringComparison.Ordinal);
        Assert.Contains("\"v=spf1 mx -all\"", text, StringComparison.Ordinal);
        Assert.Contains("kp-ed._domainkey.jedi.test. IN TXT \"v=DKIM1; k=ed25519; p=", text, StringComparison.Ordinal);
        Assert.Contains("kp-rsa._domainkey.jedi.test. IN TXT \"v=DKIM1; k=rsa; p=", text, StringComparison.Ordinal);
        Assert.Contains("_dmarc.jedi.test. IN TXT \"v=DMARC1; p=reject", text, StringComparison.Ordinal);

        // The keys are made once: a second run prints the same records.
        Assert.Equal(text, (await Run(directory, null, "dns-records", "jedi.test")).StandardOutput);
        Assert.Equal(1, (await Run(directory, null, "dns-records", "empire.test")).ExitCode);
    }

    private static TempDirectory NewConfig()
    {
        var directory = new TempDirectory("keypost-cli-mail");
        new KeypostConfig { DataDirectory = "data", Hostname = "mail.jedi.test", Domains = [new DomainConfig { Name = "jedi.test" }] }
            .Save(directory.Combine("keypost.json"));
        return directory;
    }

    private static Task<ProcessResult> Run(TempDirectory directory, string? input, params string[] arguments) =>
        KeypostCli.RunAsync(arguments, input, directory.Path);
}
