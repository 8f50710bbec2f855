using Keypost.Transparency.Lookup;

namespace Keypost.Client.Discovery;

/// <summary>The outcome of checking one WKD key against its domain's log.</summary>
public sealed record LogCheckResult(LogOutcome Outcome, string Message, VerifiedLookup? Proof = null, LookupCheck? FailedCheck = null);
