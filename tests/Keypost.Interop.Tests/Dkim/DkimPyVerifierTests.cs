using System.Text;
using Keypost.Mail.Dkim;
using Keypost.Testing;

namespace Keypost.Interop.Tests.Dkim;

/// <summary>
/// Our signatures checked by an independent verifier: dkimpy (Debian's python3-dkim, the library behind
/// dkimverify). dkimverify itself only asks DNS, so the same library is driven through its dnsfunc hook, which
/// serves our TXT records from a file.
/// </summary>
public sealed class DkimPyVerifierTests
{
    private const string Python = "/usr/bin/python3";
    private const string DkimModule = "/usr/lib/python3/dist-packages/dkim/__init__.py";
    private const string NaclModule = "/usr/lib/python3/dist-packages/nacl/__init__.py";

    // Verifies every DKIM-Signature of argv[1]; argv[2] holds "name<TAB>txt" lines. Prints "<algorithm> <True|False>".
    // The dnsfunc hook is dkimpy's documented way to supply key records; nothing else of the library is replaced.
    private const string Script = """
        import sys, dkim
        records = {}
        for line in open(sys.argv[2], encoding='ascii'):
            name, txt = line.rstrip('\n').split('\t', 1)
            records[name] = txt.encode('ascii')
        def dnsfunc(name, timeout=5):
            if isinstance(name, bytes):
                name = name.decode('ascii')
            return records.get(name.rstrip('.').lower())
        message = open(sys.argv[1], 'rb').read()
        d = dkim.DKIM(message)
        count = sum(1 for h in d.headers if h[0].lower() == b'dkim-signature')
        for i in range(count):
            v = dkim.DKIM(message)
            try:
                ok = v.verify(idx=i, dnsfunc=dnsfunc)
            except dkim.ValidationError:
                ok = False  # dkimpy raises for a body hash mismatch
            print(v.signature_fields.get(b'a', b'?').decode(), ok)
        """;

    private const string Message =
        "From: Leia Organa <leia@rebel.test>\r\n" +
        "To: Luke <luke@jedi.test>\r\n" +
        "Subject: The plans\r\n" +
        "Date: Sat, 25 May 1977 10:00:00 +0000\r\n" +
        "Message-ID: <plans-1@rebel.test>\r\n" +
        "MIME-Version: 1.0\r\n" +
        "Content-Type: text/plain; charset=utf-8\r\n" +
        "Content-Transfer-Encoding: 8bit\r\n" +
        "\r\n" +
        "Help me, Obi-Wan Kenobi. Vous êtes mon seul espoir.\r\n" +
        "\r\n\r\n";

    [ToolFact(Python, DkimModule, NaclModule)]
    public async Task Dkimpy_accepts_our_ed25519_and_rsa_signatures()
    {
        using var dir = new TempDirectory();
        var output = await VerifyAsync(dir, tamper: false);

        Assert.Equal(["ed25519-sha256 True", "rsa-sha256 True"], output);
    }

    [ToolFact(Python, DkimModule, NaclModule)]
    public async Task Dkimpy_rejects_our_signatures_after_the_body_changes()
    {
        using var dir = new TempDirectory();
        var output = await VerifyAsync(dir, tamper: true);

        Assert.Equal(["ed25519-sha256 False", "rsa-sha256 False"], output);
    }

    private static async Task<string[]> VerifyAsync(TempDirectory dir, bool tamper)
    {
        var store = new DkimKeyStore(dir.Combine("dkim"));
        var keys = await store.GetOrCreateAsync("rebel.test", CancellationToken.None);
        var signed = await new DkimSigningService(store).SignAsync(new MemoryStream(Encoding.UTF8.GetBytes(Message)), "rebel.test", CancellationToken.None);
        if (tamper)
        {
            signed = [.. signed, .. "P.S. Tampered.\r\n"u8.ToArray()];
        }

        var messagePath = dir.Combine("message.eml");
        var zonePath = dir.Combine("zone.tsv");
        var scriptPath = dir.Combine("verify.py");
        await File.WriteAllBytesAsync(messagePath, signed);
        await File.WriteAllTextAsync(zonePath, string.Join("\n", keys.All.Select(k => $"{k.DnsName}\t{k.TxtRecord}")) + "\n");
        await File.WriteAllTextAsync(scriptPath, Script);

        var result = await ProcessRunner.RunAsync(Python, [scriptPath, messagePath, zonePath], timeout: TimeSpan.FromSeconds(30));

        Assert.True(result.ExitCode == 0, result.ToString());
        return result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }
}
