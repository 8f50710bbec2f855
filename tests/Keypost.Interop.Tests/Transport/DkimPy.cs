using Keypost.Mail.Dkim;
using Keypost.Testing;

namespace Keypost.Interop.Tests.Transport;

/// <summary>
/// dkimpy (Debian's python3-dkim, the library behind dkimverify) verifying every DKIM-Signature of a delivered
/// file. dkimverify only asks the system's DNS, so the library is driven through its documented dnsfunc hook,
/// which serves the signing domain's TXT records from a file.
/// </summary>
public static class DkimPy
{
    public const string Python = "/usr/bin/python3";

    // argv[1]: the message; argv[2]: "name<TAB>txt" lines. Prints "<algorithm> <d=> <True|False>" per signature.
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
        count = sum(1 for h in dkim.DKIM(message).headers if h[0].lower() == b'dkim-signature')
        for i in range(count):
            v = dkim.DKIM(message)
            try:
                ok = v.verify(idx=i, dnsfunc=dnsfunc)
            except dkim.ValidationError:
                ok = False
            print(v.signature_fields.get(b'a', b'?').decode(), v.signature_fields.get(b'd', b'?').decode(), ok)
        """;

    /// <summary>One line per signature in <paramref name="messagePath"/>, e.g. "ed25519-sha256 rebel.test True".</summary>
    public static async Task<string[]> VerifyAsync(string messagePath, DkimDomainKeys keys, string workDirectory)
    {
        var zonePath = Path.Combine(workDirectory, "dkim-zone.tsv");
        var scriptPath = Path.Combine(workDirectory, "dkim-verify.py");
        await File.WriteAllTextAsync(zonePath, string.Join("\n", keys.All.Select(k => $"{k.DnsName}\t{k.TxtRecord}")) + "\n");
        await File.WriteAllTextAsync(scriptPath, Script);
        var result = await ProcessRunner.RunAsync(Python, [scriptPath, messagePath, zonePath], timeout: TimeSpan.FromSeconds(30));
        Assert.True(result.ExitCode == 0, result.ToString());
        return result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }
}
