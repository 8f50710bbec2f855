using System.Diagnostics;
using System.Globalization;
using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;
using Keypost.Core.PgpMime;
using MimeKit;

namespace Keypost.Bench;

/// <summary>
/// Messages per second through PgpMimeComposer (encrypt+sign, Leia to Luke) and PgpMimeReader (decrypt+verify),
/// in-process, on 1..N threads for a fixed time, with the process CPU time per message (issue #14: 10 KB >= 2,000/s).
/// The same messages as PgpMimeBenchmarks, without BenchmarkDotNet's per-size processes.
/// Usage: pgpmime-rate SIZE SECONDS THREADS
/// </summary>
internal static class PgpMimeRate
{
    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(5);

    public static void Run(string[] args)
    {
        var size = int.Parse(args[0], CultureInfo.InvariantCulture);
        var seconds = double.Parse(args[1], CultureInfo.InvariantCulture);
        var threads = int.Parse(args[2], CultureInfo.InvariantCulture);
        var leia = new KeyGenerator().Generate(new KeyGenerationRequest(EmailAddress.Parse("leia@rebel.test"))).Unlock("");
        var luke = new KeyGenerator().Generate(new KeyGenerationRequest(EmailAddress.Parse("luke@jedi.test"))).Unlock("");
        var text = PgpMimeBenchmarks.Text(size);
        MimeMessage Plain()
        {
            var plain = new MimeMessage { Subject = "benchmark" };
            plain.From.Add(new MailboxAddress(null, "leia@rebel.test"));
            plain.To.Add(new MailboxAddress(null, "luke@jedi.test"));
            plain.Body = new TextPart("plain") { Text = text };
            return plain;
        }

        using var stream = new MemoryStream();
        new PgpMimeComposer().Compose(Plain(), leia, [luke.Certificate]).WriteTo(stream);
        var wire = stream.ToArray();
        var reader = new PgpMimeReader(maxPlaintextBytes: 2L * size + (1 << 20));
        Certificate? Find(ulong id) => id == leia.Certificate.KeyId ? leia.Certificate : null;

        Measure("encrypt+sign", () =>
        {
            var plain = Plain();
            return () => new PgpMimeComposer().Compose(plain, leia, [luke.Certificate]);
        });
        Measure("decrypt+verify", () =>
        {
            // One parsed message per thread (and one plain message above): a MimeKit entity reads its content
            // through one shared stream position, so two threads reading one MimeMessage corrupt each other's reads.
            var encrypted = MimeMessage.Load(new MemoryStream(wire));
            return () =>
            {
                var result = reader.Read(encrypted, [luke], Find);
                if (!result.Signature.IsValid)
                {
                    throw new InvalidOperationException(result.Signature.Reason);
                }
            };
        });

        void Measure(string name, Func<Action> perThread)
        {
            // Steady state, as a server that has run for a while: tiered compilation promotes hot methods in the
            // background after enough calls, so a fixed count of warm-up rounds measured the JIT on a loaded machine.
            var warm = perThread();
            var warming = Stopwatch.StartNew();
            for (var i = 0; i < 200 || warming.Elapsed < WarmUp; i++)
            {
                warm();
            }

            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var watch = Stopwatch.StartNew();
            var count = 0L;
            var workers = Enumerable.Range(0, threads).Select(_ => perThread()).ToList().Select(once => new Thread(() =>
            {
                while (watch.Elapsed.TotalSeconds < seconds)
                {
                    once();
                    Interlocked.Increment(ref count);
                }
            })).ToList();
            workers.ForEach(t => t.Start());
            workers.ForEach(t => t.Join());
            var elapsed = watch.Elapsed.TotalSeconds;
            var cpuMs = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds;
            Console.WriteLine(FormattableString.Invariant(
                $"keypost pgpmime {name} {size} B, {threads} thread(s): {count / elapsed:F0} msg/s, CPU {cpuMs / count:F3} ms/msg"));
        }
    }
}
