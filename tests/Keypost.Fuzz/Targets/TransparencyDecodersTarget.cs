using System.Security.Cryptography;
using System.Text;
using Keypost.Transparency.Lookup;
using Keypost.Transparency.Map;
using Keypost.Transparency.Notes;
using Keypost.Transparency.Witness;

namespace Keypost.Fuzz.Targets;

/// <summary>
/// The transparency decoders a client or witness runs on what a server or a message sends (issue #11): the lookup
/// proof, the message key proof, signed checkpoints with cosignatures, add-checkpoint bodies, epoch entries and
/// history answers (checked against the newest binding of a fixed log with history chains).
/// The first byte picks the decoder (seeds carry it); inputs that decode are verified with fixed keys, so the
/// seeds reach the deep checks. Refusals are <see cref="LookupException"/> and <see cref="NoteFormatException"/>;
/// anything else, or a strict codec that does not re-encode to its input, is a finding.
/// </summary>
internal static class TransparencyDecodersTarget
{
    public const string Address = "luke@jedi.test";

    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);

    public static byte[] LogKey { get; } = SHA256.HashData("keypost-fuzz-log"u8);

    public static byte[] VrfKey { get; } = SHA256.HashData("keypost-fuzz-vrf"u8);

    public static byte[] WitnessKey { get; } = SHA256.HashData("keypost-fuzz-witness"u8);

    private static readonly NoteSigner Signer = new(LogLocation.Origin("jedi.test"), LogKey);
    private static readonly NoteVerifier Verifier = NoteVerifier.Parse(Signer.VerifierKey);
    private static readonly CosignatureVerifier Witness = CosignatureVerifier.Parse(new Cosigner("witness.test/fuzz", WitnessKey).VerifierKey);

    public static void Run(byte[] input)
    {
        if (input.Length == 0)
        {
            return;
        }

        var rest = input.AsSpan(1);
        try
        {
            switch (input[0] % 6)
            {
                case 0:
                    LookupProofCodec.Decode(rest).RoundTrips(rest);
                    new LookupVerifier(Verifier, Signer.Name).Verify(Address, rest, null, Now);
                    break;
                case 1:
                    var proof = MessageKeyProof.Decode(rest);
                    if (!MessageKeyProof.Encode(proof).AsSpan().SequenceEqual(rest))
                    {
                        throw new FuzzFindingException("a message key proof does not re-encode to its input");
                    }

                    MessageKeyProof.Verify(Address, rest, Verifier, null, new CosignatureQuorum([Witness], 1), Now, proof.Binding?.Fingerprint ?? []);
                    break;
                case 2:
                    var note = SignedNote.Parse(rest);
                    Checkpoint.Parse(note.Text);
                    Witness.FindValid(note.Text, note.Signatures);
                    if (SignedNote.Parse(note.Format()).Text != note.Text)
                    {
                        throw new FuzzFindingException("a signed note does not survive formatting");
                    }

                    Verifier.Verify(rest);
                    break;
                case 3:
                    var request = AddCheckpointRequest.Parse(new UTF8Encoding(false, false).GetString(rest));
                    if (AddCheckpointRequest.Parse(request.Format()) is not { } again || again.OldSize != request.OldSize || again.Proof.Count != request.Proof.Count)
                    {
                        throw new FuzzFindingException("an add-checkpoint request does not survive formatting");
                    }

                    break;
                case 5:
                    var records = HistoryAnswerCodec.Decode(rest);
                    if (!HistoryAnswerCodec.Encode(records).AsSpan().SequenceEqual(rest))
                    {
                        throw new FuzzFindingException("a history answer does not re-encode to its input");
                    }

                    HistoryVerifier.Verify(BindingHistory.Start(), 0, records, ChainedNewest.Value);
                    break;
                default:
                    if (EpochEntry.TryDecode(rest) is { } entry && !entry.Encode().AsSpan().SequenceEqual(rest))
                    {
                        throw new FuzzFindingException("an epoch entry does not re-encode to its input");
                    }

                    break;
            }
        }
        catch (Exception e) when (e is LookupException or NoteFormatException)
        {
            // Refused the way it is meant to be.
        }
    }

    private static readonly Lazy<(KeyTransparencyLog Log, List<HistoryRecord> Records)> Chained = new(MakeChainedLog);

    private static readonly Lazy<Binding> ChainedNewest = new(() =>
        new LookupVerifier(Verifier, Signer.Name).Verify(Address, Chained.Value.Log.Prove(Address)!, null, Now).Binding!);

    /// <summary>A log with history chains (P-256, the fixed keys): Luke's versions 1 and 2 in one epoch, 3 in the next.</summary>
    private static (KeyTransparencyLog, List<HistoryRecord>) MakeChainedLog()
    {
        var log = new KeyTransparencyLog(Signer, Keypost.Transparency.Vrf.VrfSuite.P256, VrfKey, history: true);
        var records = new List<HistoryRecord>
        {
            new(1, 0, [0x01, 0x02], SHA256.HashData("v1"u8), false),
            new(2, 0, [0x03], SHA256.HashData("v2"u8), true),
            new(3, 1, [0x04, 0x05, 0x06], SHA256.HashData("v3"u8), false),
        };
        var chain = BindingHistory.Start();
        foreach (var record in records)
        {
            if (record.Epoch > 0 && log.Size == 0)
            {
                log.Seal(Now.AddHours(-1));
            }

            log.Stage(Address, new Binding(record.Version, record.Fingerprint, record.CertificateHash, record.Revoked) { History = chain });
            chain = BindingHistory.Next(chain, record);
        }

        log.Seal(Now.AddMinutes(-10));
        return (log, records);
    }

    private static void RoundTrips(this LookupProof proof, ReadOnlySpan<byte> input)
    {
        if (!LookupProofCodec.Encode(proof).AsSpan().SequenceEqual(input))
        {
            throw new FuzzFindingException("a lookup proof does not re-encode to its input");
        }
    }

    /// <summary>Seeds: a real log with the fixed keys, its proofs, a cosigned checkpoint and an add-checkpoint body.</summary>
    public static Dictionary<string, byte[]> Seeds()
    {
        var log = new KeyTransparencyLog(Signer, VrfKey);
        log.Stage("leia@jedi.test", new Binding(1, [0xAA, 0xBB], new byte[32], false));
        log.Seal(Now.AddHours(-2));
        log.Stage(Address, new Binding(1, [0x01, 0x02, 0x03], SHA256.HashData("luke"u8), false));
        log.Stage("han@jedi.test", new Binding(3, [0x04], new byte[32], true));
        log.Seal(Now.AddHours(-1));
        log.Stage(Address, new Binding(2, [0x05, 0x06], SHA256.HashData("luke2"u8), false));
        log.Seal(Now.AddMinutes(-10));
        var cosigner = new Cosigner("witness.test/fuzz", WitnessKey);
        var text = SignedNote.Parse(log.Checkpoint!).Text;
        log.AddCosignatures(text, [cosigner.Cosign(text, Now.AddMinutes(-5).ToUnixTimeSeconds())]);

        var lookup = log.Prove(Address)!;
        var absent = log.Prove("nobody@jedi.test")!;
        var withConsistency = log.Prove(Address, 2)!;
        return new Dictionary<string, byte[]>
        {
            ["lookup-present"] = [0, .. lookup],
            ["lookup-absent"] = [0, .. absent],
            ["lookup-consistency"] = [0, .. withConsistency],
            ["message-proof"] = [1, .. MessageKeyProof.Encode(LookupProofCodec.Decode(lookup))],
            ["checkpoint-cosigned"] = [2, .. Encoding.UTF8.GetBytes(log.Checkpoint!)],
            ["add-checkpoint"] = [3, .. Encoding.UTF8.GetBytes(log.WitnessRequest(1)!.Format())],
            ["add-checkpoint-from-0"] = [3, .. Encoding.UTF8.GetBytes(log.WitnessRequest(0)!.Format())],
            ["epoch-entry"] = [4, .. LookupProofCodec.Decode(lookup).Entry],
            ["lookup-history-chain"] = [0, .. Chained.Value.Log.Prove(Address)!],
            ["epoch-entry-history"] = [4, .. LookupProofCodec.Decode(Chained.Value.Log.Prove(Address)!).Entry],
            ["history-answer"] = [5, .. HistoryAnswerCodec.Encode(Chained.Value.Records)],
            ["history-answer-tail"] = [5, .. HistoryAnswerCodec.Encode(Chained.Value.Records[1..])],
        };
    }
}
