using System.Diagnostics;
using System.Globalization;
using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;
using Keypost.Core.OpenPgp.Streaming;

namespace Keypost.Bench;

/// <summary>
/// Streaming OpenPGP on a file, as gpg does it (bench/pgp/stream.sh runs both): encrypt+sign (Leia to Luke and
/// herself, binary) and decrypt+verify, best of N rounds each, with the process's peak RSS over the run.
/// Usage: stream INPUT ROUNDS WORKDIR
/// </summary>
internal static class StreamingPgpLoad
{
    public static async Task RunAsync(string[] args)
    {
        var input = args[0];
        var rounds = int.Parse(args[1], CultureInfo.InvariantCulture);
        var work = args[2];
        var leia = new KeyGenerator().Generate(new KeyGenerationRequest(EmailAddress.Parse("leia@rebel.test"))).Unlock("");
        var luke = new KeyGenerator().Generate(new KeyGenerationRequest(EmailAddress.Parse("luke@jedi.test"))).Unlock("");
        var size = new FileInfo(input).Length;
        var encrypted = Path.Combine(work, "keypost.pgp");
        var openpgp = new StreamingOpenPgp(work);
        GC.Collect();
        var idleRss = Process.GetCurrentProcess().WorkingSet64;

        var encrypt = double.MaxValue;
        var decrypt = double.MaxValue;
        var encryptCpu = 0.0;
        var decryptCpu = 0.0;
        var process = Process.GetCurrentProcess();
        for (var i = 0; i < rounds; i++)
        {
            process.Refresh();
            var cpu = process.TotalProcessorTime;
            var watch = Stopwatch.StartNew();
            await using (var source = File.OpenRead(input))
            await using (var output = File.Create(encrypted))
            {
                await openpgp.EncryptAsync(source, output, [luke.Certificate, leia.Certificate], leia, armor: false, CancellationToken.None);
            }

            process.Refresh();
            if (watch.Elapsed.TotalSeconds < encrypt)
            {
                encrypt = watch.Elapsed.TotalSeconds;
                encryptCpu = (process.TotalProcessorTime - cpu).TotalSeconds;
            }

            cpu = process.TotalProcessorTime;
            watch.Restart();
            await using (var source = File.OpenRead(encrypted))
            await using (var output = new FileStream("/dev/null", FileMode.Open, FileAccess.Write))
            {
                var result = await openpgp.DecryptAsync(source, output, [luke], id => id == leia.Certificate.KeyId ? leia.Certificate : null, CancellationToken.None);
                if (!result.Signature.IsValid || result.PlaintextBytes != size)
                {
                    throw new InvalidOperationException("round trip failed: " + result.Signature.Reason);
                }
            }

            process.Refresh();
            if (watch.Elapsed.TotalSeconds < decrypt)
            {
                decrypt = watch.Elapsed.TotalSeconds;
                decryptCpu = (process.TotalProcessorTime - cpu).TotalSeconds;
            }
        }

        var peak = Process.GetCurrentProcess().PeakWorkingSet64;
        Console.WriteLine(FormattableString.Invariant($"keypost encrypt+sign {encrypt:F3} s {size / encrypt / 1e6:F1} MB/s cpu {encryptCpu:F3} s"));
        Console.WriteLine(FormattableString.Invariant($"keypost decrypt+verify {decrypt:F3} s {size / decrypt / 1e6:F1} MB/s cpu {decryptCpu:F3} s"));
        Console.WriteLine(FormattableString.Invariant($"keypost rss idle {idleRss / 1048576.0:F1} MiB peak {peak / 1048576.0:F1} MiB over-idle {(peak - idleRss) / 1048576.0:F1} MiB"));
    }
}
