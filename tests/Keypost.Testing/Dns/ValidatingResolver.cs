using System.Diagnostics;
using System.Globalization;
using System.Net;
using Keypost.Mail.Dns;

namespace Keypost.Testing.Dns;

/// <summary>
/// Debian's Unbound as a DNSSEC-validating resolver on loopback, serving test zones it loads as authoritative data
/// (auth-zone, for-upstream) and validating them like answers from the Internet: zones signed here with
/// ldns-signzone under a trust anchor get the AD bit, unsigned ones do not, and a signature that does not verify
/// answers SERVFAIL. Real validation, not a double that sets AD.
/// </summary>
public sealed class ValidatingResolver : IAsyncDisposable
{
    public const string Unbound = "unbound";
    public const string KeyGen = "ldns-keygen";
    public const string SignZone = "ldns-signzone";

    private readonly TempDirectory directory;
    private readonly Process process;

    private ValidatingResolver(TempDirectory directory, Process process, IPEndPoint endPoint)
    {
        this.directory = directory;
        this.process = process;
        EndPoint = endPoint;
    }

    public IPEndPoint EndPoint { get; }

    /// <summary>A resolver client that trusts this resolver's AD bit, as production does with a local validating resolver.</summary>
    public MailDnsResolver Client() => new(new MailDnsResolverOptions
    {
        NameServers = [EndPoint],
        Timeout = TimeSpan.FromSeconds(5),
        Retries = 1,
        UseCache = false,
        TrustAuthenticatedData = true,
    });

    public static async Task<ValidatingResolver> StartAsync(params TestZone[] zones)
    {
        var directory = new TempDirectory("keypost-unbound");
        var anchors = new List<string>();
        var config = new System.Text.StringBuilder();
        var port = FreePort.Get();
        config.Append(CultureInfo.InvariantCulture, $"""
            server:
              interface: 127.0.0.1
              port: {port}
              do-daemonize: no
              username: ""
              chroot: ""
              directory: "{directory.Path}"
              pidfile: ""
              use-syslog: no
              logfile: ""
              verbosity: 1
              do-ip6: no
              module-config: "validator iterator"
              val-log-level: 2
              # RFC 6761 reserves .test; Unbound answers it locally unless told not to.
              local-zone: "test." nodefault
              trust-anchor-file: "{directory.Combine("anchors")}"

            """);
        foreach (var zone in zones)
        {
            var file = directory.Combine(zone.Origin + ".zone");
            await File.WriteAllTextAsync(file, zone.Render());
            if (zone.Signed)
            {
                var key = await RunAsync(KeyGen, directory.Path, "-a", "ECDSAP256SHA256", "-k", zone.Origin);
                await RunAsync(SignZone, directory.Path, file, key.Trim());
                anchors.Add(await File.ReadAllTextAsync(directory.Combine(key.Trim() + ".ds")));
                file += ".signed";
            }

            config.Append(CultureInfo.InvariantCulture, $"""
                auth-zone:
                  name: "{zone.Origin}."
                  zonefile: "{file}"
                  for-upstream: yes
                  for-downstream: no
                  fallback-enabled: no

                """);
        }

        await File.WriteAllTextAsync(directory.Combine("anchors"), string.Concat(anchors));
        var conf = directory.Combine("unbound.conf");
        await File.WriteAllTextAsync(conf, config.ToString());
        var psi = new ProcessStartInfo(ExternalTool.Get(Unbound))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("-d");
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(conf);
        var process = Process.Start(psi) ?? throw new InvalidOperationException("cannot start unbound");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var resolver = new ValidatingResolver(directory, process, new IPEndPoint(IPAddress.Loopback, port));
        await resolver.WaitReadyAsync(zones.Length > 0 ? zones[0].Origin : "test");
        return resolver;
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill();
            await process.WaitForExitAsync();
        }

        process.Dispose();
        directory.Dispose();
    }

    private async Task WaitReadyAsync(string name)
    {
        // Short timeouts while Unbound starts: a question sent before it listens is lost, not queued.
        var client = new MailDnsResolver(new MailDnsResolverOptions { NameServers = [EndPoint], Timeout = TimeSpan.FromMilliseconds(250), Retries = 0, UseCache = false });
        for (var attempt = 0; attempt < 240; attempt++)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"unbound exited with {process.ExitCode}");
            }

            var answer = await client.GetTxtAsync(name, CancellationToken.None);
            if (!answer.IsTemporaryFailure)
            {
                return;
            }

            await Task.Delay(100);
        }

        throw new InvalidOperationException("unbound did not answer");
    }

    private static async Task<string> RunAsync(string tool, string directory, params string[] arguments)
    {
        var result = await ProcessRunner.RunAsync(ExternalTool.Get(tool), arguments, workingDirectory: directory, timeout: TimeSpan.FromSeconds(60));
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"{tool} failed: {result.StandardError}");
        }

        return result.StandardOutput;
    }
}
