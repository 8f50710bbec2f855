using System.Text;
using Keypost.Transparency.Notes;
using Keypost.Transparency.Witness;
using Microsoft.Extensions.Time.Testing;

namespace Keypost.Transparency.Tests.Witness;

public sealed class LogWitnessTests
{
    private readonly Cosigner _cosigner = new("witness.test/w1", NoteSigner.GeneratePrivateKey());
    private readonly FakeTimeProvider _time = new(DateTimeOffset.FromUnixTimeSeconds(1_800_000_000));
    private readonly MemoryWitnessStore _store = new();

    [Fact]
    public async Task A_first_checkpoint_is_cosigned_and_the_cosignature_verifies_with_the_vkey()
    {
        var log = new TestLog();
        log.Append(5);
        var witness = Witness(log);

        var response = await witness.AddCheckpointAsync(log.Request(0), CancellationToken.None);

        Assert.Equal(200, response.Status);
        Assert.StartsWith("\u2014 witness.test/w1 ", response.Body, StringComparison.Ordinal);
        var cosigned = SignedNote.Parse(log.CheckpointNote() + response.Body);
        var verifier = CosignatureVerifier.Parse(witness.VerifierKey);
        Assert.Equal(1_800_000_000, verifier.FindValid(cosigned.Text, cosigned.Signatures));
        // The log's own signature is of another type and must not pass as a cosignature.
        Assert.Null(CosignatureVerifier.Parse(_cosigner.VerifierKey).FindValid("other\n1\n" + cosigned.Text, cosigned.Signatures));
        Assert.Equal(5, (await _store.ReadAsync(log.Origin, CancellationToken.None))!.Size);
    }

    [Fact]
    public async Task A_checkpoint_extending_the_last_one_is_cosigned_with_a_consistency_proof()
    {
        var log = new TestLog();
        log.Append(3);
        var witness = Witness(log);
        Assert.Equal(200, (await witness.AddCheckpointAsync(log.Request(0), CancellationToken.None)).Status);
        log.Append(14);

        var response = await witness.AddCheckpointAsync(log.Request(3), CancellationToken.None);

        Assert.Equal(200, response.Status);
        Assert.Equal(17, (await _store.ReadAsync(log.Origin, CancellationToken.None))!.Size);
    }

    [Fact]
    public async Task An_empty_log_cosigned_at_size_0_can_then_grow()
    {
        var log = new TestLog();
        var witness = Witness(log);
        Assert.Equal(200, (await witness.AddCheckpointAsync(log.Request(0), CancellationToken.None)).Status);
        log.Append(2);
        Assert.Equal(200, (await witness.AddCheckpointAsync(log.Request(0), CancellationToken.None)).Status);
        Assert.Equal(2, (await _store.ReadAsync(log.Origin, CancellationToken.None))!.Size);
    }

    [Fact]
    public async Task A_wrong_old_size_is_409_with_the_witness_size()
    {
        var log = new TestLog();
        log.Append(4);
        var witness = Witness(log);
        await witness.AddCheckpointAsync(log.Request(0), CancellationToken.None);
        log.Append(4);

        var response = await witness.AddCheckpointAsync(log.Request(2), CancellationToken.None);

        Assert.Equal(409, response.Status);
        Assert.Equal("text/x.tlog.size", response.ContentType);
        Assert.Equal("4\n", response.Body);
    }

    [Fact]
    public async Task A_second_checkpoint_of_the_same_size_with_another_root_is_refused_as_a_split_view()
    {
        var key = NoteSigner.GeneratePrivateKey();
        var shown = new TestLog(key: key);
        var forked = new TestLog(key: key);
        shown.Append(6);
        forked.Append(6, salt: "-forged");
        var witness = Witness(shown);
        Assert.Equal(200, (await witness.AddCheckpointAsync(shown.Request(0), CancellationToken.None)).Status);

        var response = await witness.AddCheckpointAsync(forked.Request(6), CancellationToken.None);

        Assert.Equal(409, response.Status);
        Assert.Equal("6\n", response.Body);
        // The same checkpoint again is fine: a fresh cosignature of what it already saw.
        Assert.Equal(200, (await witness.AddCheckpointAsync(shown.Request(6), CancellationToken.None)).Status);
    }

    [Fact]
    public async Task A_fork_that_grew_is_refused_with_422_because_its_proof_does_not_verify()
    {
        var key = NoteSigner.GeneratePrivateKey();
        var shown = new TestLog(key: key);
        var forked = new TestLog(key: key);
        shown.Append(6);
        forked.Append(6, salt: "-forged");
        var witness = Witness(shown);
        await witness.AddCheckpointAsync(shown.Request(0), CancellationToken.None);
        forked.Append(3);

        var response = await witness.AddCheckpointAsync(forked.Request(6), CancellationToken.None);

        Assert.Equal(422, response.Status);
        Assert.Equal(6, (await _store.ReadAsync(shown.Origin, CancellationToken.None))!.Size);
    }

    [Fact]
    public async Task A_smaller_checkpoint_is_never_cosigned()
    {
        var log = new TestLog();
        log.Append(2);
        var early = log.Request(0);
        log.Append(8);
        var witness = Witness(log);
        Assert.Equal(200, (await witness.AddCheckpointAsync(log.Request(0), CancellationToken.None)).Status);

        var fromZero = await witness.AddCheckpointAsync(early, CancellationToken.None);
        var claimingTen = await witness.AddCheckpointAsync(early.Replace("old 0", "old 10", StringComparison.Ordinal), CancellationToken.None);

        Assert.Equal(409, fromZero.Status);
        Assert.Equal(400, claimingTen.Status);
        Assert.Equal(10, (await _store.ReadAsync(log.Origin, CancellationToken.None))!.Size);
    }

    [Fact]
    public async Task An_unknown_log_is_404_and_a_bad_log_signature_is_403()
    {
        var known = new TestLog();
        var stranger = new TestLog("stranger.test/log");
        var impostor = new TestLog(known.Origin);
        known.Append(1);
        stranger.Append(1);
        impostor.Append(1);
        var witness = Witness(known);

        Assert.Equal(404, (await witness.AddCheckpointAsync(stranger.Request(0), CancellationToken.None)).Status);
        Assert.Equal(403, (await witness.AddCheckpointAsync(impostor.Request(0), CancellationToken.None)).Status);
        Assert.Equal(400, (await witness.AddCheckpointAsync("old 0\nnot a note", CancellationToken.None)).Status);
        Assert.Null(await _store.ReadAsync(known.Origin, CancellationToken.None));
    }

    [Fact]
    public async Task Each_log_has_its_own_rate_limit()
    {
        var busy = new TestLog("busy.test/log");
        var quiet = new TestLog("quiet.test/log");
        busy.Append(1);
        quiet.Append(1);
        var witness = new LogWitness(_cosigner, [busy.Witnessed, quiet.Witnessed], _store, new LogRateLimit(PerMinute: 6, Burst: 2), _time);

        Assert.Equal(200, (await witness.AddCheckpointAsync(busy.Request(0), CancellationToken.None)).Status);
        Assert.Equal(200, (await witness.AddCheckpointAsync(busy.Request(1), CancellationToken.None)).Status);
        Assert.Equal(429, (await witness.AddCheckpointAsync(busy.Request(1), CancellationToken.None)).Status);
        Assert.Equal(200, (await witness.AddCheckpointAsync(quiet.Request(0), CancellationToken.None)).Status);

        _time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(200, (await witness.AddCheckpointAsync(busy.Request(1), CancellationToken.None)).Status);
    }

    [Fact]
    public void The_add_checkpoint_body_round_trips_and_refuses_64_proof_lines()
    {
        var request = new AddCheckpointRequest(20, [new byte[32], Enumerable.Repeat((byte)7, 32).ToArray()], "o\n1\nAA==\n\n\u2014 o AAAA\n");
        var parsed = AddCheckpointRequest.Parse(request.Format());
        Assert.Equal(20, parsed.OldSize);
        Assert.Equal(2, parsed.Proof.Count);
        Assert.Equal(request.Note, parsed.Note);

        var tooLong = new StringBuilder("old 1\n");
        for (var i = 0; i < 64; i++)
        {
            tooLong.Append(Convert.ToBase64String(new byte[32])).Append('\n');
        }

        Assert.Throws<NoteFormatException>(() => AddCheckpointRequest.Parse(tooLong.Append('\n').Append(request.Note).ToString()));
        Assert.Throws<NoteFormatException>(() => AddCheckpointRequest.Parse("old 01\n\n" + request.Note));
    }

    private LogWitness Witness(TestLog log) => new(_cosigner, [log.Witnessed], _store, new LogRateLimit(PerMinute: 0), _time);
}
