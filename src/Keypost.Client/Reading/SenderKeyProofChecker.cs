using Keypost.Client.Contacts;
using Keypost.Core.Addresses;
using Keypost.Core.PgpMime;
using Keypost.Transparency.Lookup;
using Keypost.Transparency.Notes;
using Keypost.Transparency.Witness;

namespace Keypost.Client.Reading;

/// <summary>
/// Checks the proof a sender put in her message (docs/transparency.md, "Proof inside the message") with no lookup:
/// against the log key this client pinned for her domain at an earlier lookup (trust on first use, as for every
/// log key) and the witnesses it trusts. A message without a proof gets no verdict; a proof that fails, is not
/// inside the encryption, or cannot be tied to a valid signature is reported and never trusted.
/// </summary>
public sealed class SenderKeyProofChecker(LogStore logs, TimeProvider clock)
{
    public async Task<KeyProofResult?> CheckAsync(PgpMimeReadResult read, CancellationToken cancellationToken)
    {
        if (KeyProofHeader.Read(read.Body) is not { } bytes)
        {
            return null;
        }

        if (!read.Encryption.IsEncrypted || !read.HeadersProtected)
        {
            return NotProved("the proof is not inside the encrypted part", LookupCheck.Malformed);
        }

        if (bytes.Length == 0)
        {
            return NotProved($"the {KeyProofHeader.Field} field is not one base64 value", LookupCheck.Malformed);
        }

        if (!read.Signature.IsValid || read.Signature.SignerFingerprint is not { } fingerprint
            || (read.Signature.SignerAddress ?? read.From.Mailboxes.FirstOrDefault()?.Address) is not { } from
            || !EmailAddress.TryParse(from, out var address, out _))
        {
            return NotProved("the message is not validly signed, so the proof cannot be tied to the sender's key", null);
        }

        var origin = LogLocation.Origin(address!.Domain);
        var (vkey, held) = await logs.FindAsync(origin, cancellationToken);
        if (vkey is null)
        {
            return NotProved($"no log key pinned for {address.Domain} yet (look {address} up once with 'keypost lookup' to pin it)", null);
        }

        var witnesses = await logs.WitnessesAsync(cancellationToken);
        try
        {
            var verified = MessageKeyProof.Verify(address.Canonical, bytes, NoteVerifier.Parse(vkey), held,
                witnesses.Count > 0 ? CosignatureQuorum.Default(witnesses) : null, clock.GetUtcNow(), Convert.FromHexString(fingerprint));
            return new KeyProofResult(true,
                $"sender's key proved by the log ({address.Domain} log size {verified.Checkpoint.Size}, epoch {verified.Epoch.Epoch} of {verified.Epoch.Time:yyyy-MM-dd HH:mm}Z, version {verified.Binding!.Version})");
        }
        catch (LookupException e)
        {
            return NotProved($"{e.Check}: {e.Message}", e.Check);
        }
        catch (Exception e) when (e is NoteFormatException or FormatException)
        {
            return NotProved(e.Message, LookupCheck.Malformed);
        }
    }

    private static KeyProofResult NotProved(string why, LookupCheck? check) =>
        new(false, $"sender's key NOT proved by the log: {why}", check);
}
