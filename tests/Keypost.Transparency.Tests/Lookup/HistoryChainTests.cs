using System.Security.Cryptography;
using Keypost.Transparency.Lookup;
using Keypost.Transparency.Map;
using Keypost.Transparency.Notes;
using Keypost.Transparency.Vrf;

namespace Keypost.Transparency.Tests.Lookup;

/// <summary>
/// History chains (docs/transparency.md, "History chain"): the newest binding's commitment covers the chain of every
/// earlier version, so a monitor given the records can prove each one, and a record left out, changed or added is
/// refused.
/// </summary>
public sealed class HistoryChainTests
{
    private const string Origin = "openpgpkey.jedi.test/.well-known/openpgpkey/jedi.test/log";
    private const string Luke = "luke@jedi.test";
    private static readonly DateTimeOffset Now = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);

    /// <summary>Luke's versions 1..3 in epochs 0, 1, 1 (two in one epoch, as a forgery put back before sealing).</summary>
    private static (KeyTransparencyLog Log, List<HistoryRecord> Records) ChainedLog(VrfSuite suite)
    {
        var log = new KeyTransparencyLog(new NoteSigner(Origin, NoteSigner.GeneratePrivateKey()), suite, KtVrf.GenerateSecretKey(suite), history: true);
        var records = new List<HistoryRecord>();
        var chain = BindingHistory.Start();
        foreach (var (version, epoch) in new[] { (1L, 0L), (2L, 1L), (3L, 1L) })
        {
            if (log.Size < epoch)
            {
                log.Seal(Now);
            }

            var record = new HistoryRecord(version, epoch, RandomNumberGenerator.GetBytes(20), RandomNumberGenerator.GetBytes(32), false);
            log.Stage(Luke, new Binding(version, record.Fingerprint, record.CertificateHash, false) { History = chain });
            chain = BindingHistory.Next(chain, record);
            records.Add(record);
        }

        log.Seal(Now);
        return (log, records);
    }

    [Theory]
    [InlineData(VrfSuite.Ed25519)]
    [InlineData(VrfSuite.P256)]
    public void The_newest_proof_and_the_records_prove_every_version_a_changed_missing_or_extra_record_is_refused(VrfSuite suite)
    {
        var (log, records) = ChainedLog(suite);
        Assert.Equal(2, log.Size);
        var bytes = log.Prove(Luke)!;
        Assert.Equal("KPLP\u0003"u8.ToArray(), bytes[..5]);
        Assert.Equal(bytes, LookupProofCodec.Encode(LookupProofCodec.Decode(bytes)));
        var verified = new LookupVerifier(NoteVerifier.Parse(log.VerifierKey), Origin).Verify(Luke, bytes, null, Now);
        Assert.True(verified.Epoch.History);
        var newest = verified.Binding!;
        Assert.Equal(3, newest.Version);

        // From the start, and from a version already verified.
        var through = HistoryVerifier.Verify(BindingHistory.Start(), 0, records, newest);
        var afterOne = BindingHistory.Next(BindingHistory.Start(), records[0]);
        Assert.Equal(through, HistoryVerifier.Verify(afterOne, 1, records[1..], newest));

        // The answer's bytes round-trip strictly.
        var answer = HistoryAnswerCodec.Encode(records);
        Assert.Equal(answer, HistoryAnswerCodec.Encode(HistoryAnswerCodec.Decode(answer)));
        Assert.Equal(LookupCheck.Malformed, Assert.Throws<LookupException>(() => HistoryAnswerCodec.Decode([.. answer, 0])).Check);
        Assert.Equal(LookupCheck.Malformed, Assert.Throws<LookupException>(() => HistoryAnswerCodec.Decode(answer[..^1])).Check);

        // A hidden version (the forgery in epoch 1), another key in its place, or a moved epoch: refused.
        List<HistoryRecord>[] lies =
        [
            [records[0], records[2]],
            [records[0], records[1] with { Fingerprint = RandomNumberGenerator.GetBytes(20) }, records[2]],
            [records[0], records[1] with { Epoch = 0 }, records[2]],
            [records[0], records[1] with { Revoked = true }, records[2]],
        ];
        foreach (var lie in lies)
        {
            Assert.Equal(LookupCheck.History, Assert.Throws<LookupException>(() => HistoryVerifier.Verify(BindingHistory.Start(), 0, lie, newest)).Check);
        }

        // The binding's chain is committed: a proof whose history bytes were changed no longer reaches the map root.
        var tampered = LookupProofCodec.Decode(bytes);
        var forged = tampered with { Binding = tampered.Binding! with { History = through } };
        Assert.Equal(LookupCheck.MapProof, Assert.Throws<LookupException>(() =>
            new LookupVerifier(NoteVerifier.Parse(log.VerifierKey), Origin).Verify(Luke, LookupProofCodec.Encode(forged), null, Now)).Check);
    }

    [Fact]
    public void Format_3_entries_and_version_3_proofs_go_together_and_old_logs_are_unchanged()
    {
        var (log, _) = ChainedLog(VrfSuite.Ed25519);
        var proof = log.Prove(Luke)!;
        var decoded = LookupProofCodec.Decode(proof);
        Assert.Equal([0x03, 0x00, 0x02], decoded.Entry[..3]);
        Assert.Equal(decoded.Entry, EpochEntry.TryDecode(decoded.Entry)!.Encode());

        // A version-3 proof around a format-2 entry (or the reverse) is malformed, never verified as the other kind.
        var mixed = proof.ToArray();
        mixed[4] = 0x02;
        var verifier = new LookupVerifier(NoteVerifier.Parse(log.VerifierKey), Origin);
        Assert.Equal(LookupCheck.Malformed, Assert.Throws<LookupException>(() => verifier.Verify(Luke, mixed, null, Now)).Check);

        // A log without history chains refuses a binding that carries one, and the reverse.
        var old = new KeyTransparencyLog(new NoteSigner(Origin, NoteSigner.GeneratePrivateKey()), VrfSuite.Ed25519, KtVrf.GenerateSecretKey(VrfSuite.Ed25519));
        Assert.Throws<ArgumentException>(() => old.Stage(Luke, new Binding(1, new byte[20], new byte[32], false) { History = new byte[32] }));
        Assert.Throws<ArgumentException>(() => log.Stage(Luke, new Binding(4, new byte[20], new byte[32], false)));
    }
}
