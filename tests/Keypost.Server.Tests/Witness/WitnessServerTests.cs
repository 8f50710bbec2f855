using System.Net;
using System.Text;
using Keypost.Server.Witness;
using Keypost.Testing;
using Keypost.Transparency.Notes;
using Keypost.Transparency.Witness;
using Microsoft.Extensions.Logging.Abstractions;

namespace Keypost.Server.Tests.Witness;

/// <summary>`keypost witness serve`: the C2SP tlog-witness over HTTP, its SQLite state, and an independent parser.</summary>
public sealed class WitnessServerTests : IDisposable
{
    private const string Python = "/usr/bin/python3";
    private const string Origin = "openpgpkey.jedi.test/.well-known/openpgpkey/jedi.test/log";

    private readonly TempDirectory _directory = new("keypost-witness");
    private readonly byte[] _logKey = NoteSigner.GeneratePrivateKey();
    private readonly HttpClient _http = new();

    public void Dispose()
    {
        _http.Dispose();
        _directory.Dispose();
    }

    [Fact]
    public async Task A_restarted_witness_keeps_its_key_and_state_and_never_cosigns_a_rollback_or_a_split_view()
    {
        var log = new SigningLog(Origin, _logKey);
        var fork = new SigningLog(Origin, _logKey);
        log.Append(3);
        var early = log.Request(0);
        log.Append(5);
        fork.Append(8, salt: "-forged");

        string vkey;
        await using (var witness = await StartAsync())
        {
            vkey = witness.VerifierKey;
            var (status, _) = await PostAsync(witness, log.Request(0));
            Assert.Equal(HttpStatusCode.OK, status);
        }

        // Restarted mid-stream: same key, same latest size.
        await using (var witness = await StartAsync())
        {
            Assert.Equal(vkey, witness.VerifierKey);

            var (rollback, size) = await PostAsync(witness, early);
            Assert.Equal(HttpStatusCode.Conflict, rollback);
            Assert.Equal("8\n", size);

            var (split, _) = await PostAsync(witness, fork.Request(8));
            Assert.Equal(HttpStatusCode.Conflict, split);

            fork.Append(2);
            var (forkGrown, _) = await PostAsync(witness, fork.Request(8));
            Assert.Equal((HttpStatusCode)422, forkGrown);

            log.Append(2);
            var (extended, body) = await PostAsync(witness, log.Request(8));
            Assert.Equal(HttpStatusCode.OK, extended);
            var cosigned = SignedNote.Parse(log.CheckpointNote() + body);
            Assert.NotNull(CosignatureVerifier.Parse(vkey).FindValid(cosigned.Text, cosigned.Signatures));
        }
    }

    [Fact]
    public async Task An_unknown_log_is_refused_with_404()
    {
        var stranger = new SigningLog("openpgpkey.sith.test/.well-known/openpgpkey/sith.test/log", NoteSigner.GeneratePrivateKey());
        stranger.Append(1);
        await using var witness = await StartAsync();
        var (status, _) = await PostAsync(witness, stranger.Request(0));
        Assert.Equal(HttpStatusCode.NotFound, status);
    }

    [ToolFact(Python)]
    public async Task An_independent_python_parser_verifies_the_witness_cosignature()
    {
        var log = new SigningLog(Origin, _logKey);
        log.Append(4);
        await using var witness = await StartAsync();
        var (status, body) = await PostAsync(witness, log.Request(0));
        Assert.Equal(HttpStatusCode.OK, status);
        await File.WriteAllTextAsync(_directory.Combine("checkpoint"), log.CheckpointNote());
        await File.WriteAllTextAsync(_directory.Combine("response"), body);

        var good = await RunAsync(witness.VerifierKey);
        Assert.True(good.ExitCode == 0, good.ToString());
        Assert.StartsWith($"OK witness.test/w1 {Origin} 4 ", good.StandardOutput, StringComparison.Ordinal);

        // One flipped bit in the Ed25519 signature must fail the independent check.
        var blob = Convert.FromBase64String(body.TrimEnd('\n').Split(' ')[2]);
        blob[^1] ^= 0x01;
        await File.WriteAllTextAsync(_directory.Combine("response"), $"\u2014 witness.test/w1 {Convert.ToBase64String(blob)}\n");
        var tampered = await RunAsync(witness.VerifierKey);
        Assert.Equal(1, tampered.ExitCode);
        Assert.Contains("does not verify", tampered.StandardOutput, StringComparison.Ordinal);
    }

    private Task<ProcessResult> RunAsync(string witnessVkey) =>
        ProcessRunner.RunAsync(Python,
        [
            Path.Combine(AppContext.BaseDirectory, "tools", "check_cosignature.py"),
            "--checkpoint", _directory.Combine("checkpoint"), "--response", _directory.Combine("response"),
            "--log-vkey", new SigningLog(Origin, _logKey).Signer.VerifierKey, "--witness-vkey", witnessVkey,
        ], timeout: TimeSpan.FromSeconds(60));

    private Task<WitnessServer> StartAsync()
    {
        var config = new WitnessConfig
        {
            Name = "witness.test/w1",
            Database = _directory.Combine("witness.db"),
            Listen = ["127.0.0.1:0"],
            Logs = [new NoteSigner(Origin, _logKey).VerifierKey],
            CheckpointsPerMinute = 0,
        };
        return WitnessServer.StartAsync(config, NullLoggerFactory.Instance, TimeProvider.System, CancellationToken.None);
    }

    private async Task<(HttpStatusCode Status, string Body)> PostAsync(WitnessServer witness, string body)
    {
        using var content = new StringContent(body, Encoding.UTF8, "text/plain");
        using var response = await _http.PostAsync($"http://{witness.Endpoints[0]}/add-checkpoint", content);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }
}
