using Keypost.Core.Addresses;
using Keypost.Testing;
using Keypost.Transparency.Notes;

namespace Keypost.Server.Tests.Transparency;

/// <summary>tests/tools/verify_log.py, an independent verifier in standard-library Python, against a live log.</summary>
public sealed class PythonVerifierTests
{
    private const string Python = "/usr/bin/python3";
    private const string Prefix = "https://openpgpkey.jedi.test/.well-known/openpgpkey/jedi.test/log/";

    [ToolFact(Python)]
    public async Task The_script_checks_the_signed_checkpoint_and_recomputes_the_tree_head_from_the_tiles()
    {
        await using var server = await TestServer.StartAsync();
        using var directory = new TempDirectory("keypost-verify-log");
        server.WriteCaPem(directory.Combine("ca.pem"));
        for (var i = 0; i < 3; i++)
        {
            await server.Server.Store.PublishAsync(EmailAddress.Parse($"trooper{i}@jedi.test"), "AA", [0x98, (byte)i], revoked: false, CancellationToken.None);
            await server.Server.Transparency!.SequenceAsync(CancellationToken.None);
        }

        var vkey = server.Server.Transparency!.VerifierKey("jedi.test")!;
        var good = await RunAsync(server, directory, vkey);
        Assert.True(good.ExitCode == 0, good.ToString());
        Assert.StartsWith("OK openpgpkey.jedi.test/.well-known/openpgpkey/jedi.test/log ", good.StandardOutput, StringComparison.Ordinal);

        var otherKey = new NoteSigner("openpgpkey.jedi.test/.well-known/openpgpkey/jedi.test/log", NoteSigner.GeneratePrivateKey()).VerifierKey;
        var bad = await RunAsync(server, directory, otherKey);
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("no signature by", bad.StandardOutput, StringComparison.Ordinal);
    }

    private static Task<ProcessResult> RunAsync(TestServer server, TempDirectory directory, string vkey) =>
        ProcessRunner.RunAsync(Python,
        [
            Path.Combine(AppContext.BaseDirectory, "tools", "verify_log.py"),
            "--prefix", Prefix, "--vkey", vkey, "--cafile", directory.Combine("ca.pem"),
            "--connect", $"127.0.0.1:{server.Endpoint.Port}",
        ], timeout: TimeSpan.FromSeconds(60));
}
