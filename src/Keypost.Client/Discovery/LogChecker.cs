using System.Globalization;
using System.Net;
using Keypost.Client.Contacts;
using Keypost.Core.OpenPgp;
using Keypost.Core.Wkd;
using Keypost.Transparency.Lookup;
using Keypost.Transparency.Notes;
using Keypost.Transparency.Witness;

namespace Keypost.Client.Discovery;

/// <summary>
/// Holds a WKD answer to the domain's transparency log (docs/transparency.md, "Verifying a lookup"): one request for
/// the lookup proof, asked by the same WKD hash and local part WKD already sent, verified against the log key pinned
/// at first contact and the last checkpoint stored; the new checkpoint is stored only when every check passed.
/// </summary>
public sealed class LogChecker(HttpClient http, LogStore logs, TimeProvider clock)
{
    /// <summary>Largest proof or key read; a lookup proof is about 1.5 KB.</summary>
    public const int MaxResponseBytes = 64 * 1024;

    public async Task<LogCheckResult> CheckAsync(WkdLookupResult lookup, CancellationToken cancellationToken)
    {
        var address = lookup.Address;
        if (lookup.Certificate is not { } certificate || lookup.Served is not { } served)
        {
            return new LogCheckResult(LogOutcome.Failed, "no WKD answer to check", FailedCheck: LookupCheck.NotInLog);
        }

        var origin = LogLocation.Origin(address.Domain);
        var prefix = LogLocation.Prefix(address.Domain, lookup.Method == WkdMethod.Advanced);
        var (pinnedKey, held) = await logs.FindAsync(origin, cancellationToken);

        var vkeyText = await GetAsync(new Uri(prefix, "vkey"), cancellationToken);
        if (vkeyText is null)
        {
            // A domain whose log we know cannot drop it to fall back to pins: that would undo the log.
            return pinnedKey is null
                ? new LogCheckResult(LogOutcome.NoLog, $"{address.Domain} publishes no transparency log")
                : Failed(LookupCheck.NotInLog, $"{address.Domain} had a transparency log (key {pinnedKey}) and no longer serves it");
        }

        var servedKey = System.Text.Encoding.UTF8.GetString(vkeyText).Trim();
        // The first log key seen is pinned like a contact's key; a different one later is refused.
        if (pinnedKey is not null && !string.Equals(pinnedKey, servedKey, StringComparison.Ordinal))
        {
            return Failed(LookupCheck.CheckpointSignature, $"the log key of {address.Domain} changed: pinned {pinnedKey}, now offered {servedKey}");
        }

        NoteVerifier verifier;
        try
        {
            verifier = NoteVerifier.Parse(pinnedKey ?? servedKey);
        }
        catch (NoteFormatException e)
        {
            return Failed(LookupCheck.Malformed, $"the log key of {address.Domain} is malformed: {e.Message}");
        }

        if (verifier.Name != origin)
        {
            return Failed(LookupCheck.CheckpointOrigin, $"the log key of {address.Domain} is named {verifier.Name}, not {origin}");
        }

        var query = $"lookup/{WkdHash.Compute(address)}?l={Uri.EscapeDataString(address.LocalPart)}"
            + (held is null ? "" : "&from=" + held.Size.ToString(CultureInfo.InvariantCulture));
        var proof = await GetAsync(new Uri(prefix, query), cancellationToken);
        if (proof is null)
        {
            return Failed(LookupCheck.NotInLog, $"{address.Domain}'s log answered no proof for {address}");
        }

        VerifiedLookup verified;
        try
        {
            var fingerprint = Convert.FromHexString(certificate.Fingerprint);
            verified = new LookupVerifier(verifier, origin).VerifyCertificate(address.Canonical, proof, held, clock.GetUtcNow(), fingerprint, served);
        }
        catch (LookupException e)
        {
            return Failed(e.Check, e.Message);
        }

        // Issue #11: with witnesses configured, the checkpoint must carry cosignatures of a quorum of them (default 1),
        // or a log could show this client a view no independent witness has seen (a split view).
        var witnesses = await logs.WitnessesAsync(cancellationToken);
        if (witnesses.Count > 0)
        {
            try
            {
                CosignatureQuorum.Default(witnesses).Check(SignedNote.Parse(verified.CheckpointNote), clock.GetUtcNow());
            }
            catch (LookupException e)
            {
                return Failed(e.Check, e.Message);
            }
        }

        await logs.SaveAsync(origin, verifier.VerifierKey, verified.Checkpoint, verified.CheckpointNote, cancellationToken);
        return new LogCheckResult(LogOutcome.Proved,
            $"proved by the log (size {verified.Checkpoint.Size}, epoch {verified.Epoch.Epoch}, version {verified.Binding!.Version})", verified);
    }

    private static LogCheckResult Failed(LookupCheck check, string message) =>
        new(LogOutcome.Failed, $"transparency check failed: {message}", FailedCheck: check);

    /// <summary>The body of a 200, or null for a 404; anything else is an error the caller reports.</summary>
    private async Task<byte[]?> GetAsync(Uri url, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (response.RequestMessage?.RequestUri?.Scheme != Uri.UriSchemeHttps)
        {
            throw new WkdException($"{url.Host} redirected the log request away from HTTPS");
        }

        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        if (!response.IsSuccessStatusCode)
        {
            throw new WkdException($"{url.Host} answered {(int)response.StatusCode} {response.ReasonPhrase} for {url.AbsolutePath}");
        }

        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        try
        {
            return await OpenPgpInput.ReadCappedAsync(body, MaxResponseBytes, cancellationToken);
        }
        catch (OpenPgpException e) when (e.Error == OpenPgpError.TooLarge)
        {
            throw new WkdException($"{url.Host} sent more than {MaxResponseBytes / 1024} KiB for a log answer");
        }
    }
}
