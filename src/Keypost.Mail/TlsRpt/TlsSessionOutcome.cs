namespace Keypost.Mail.TlsRpt;

/// <summary>
/// One attempted TLS session toward a recipient domain, as RFC 8460 §4.3 counts it: under which policy (type
/// "sts", "tlsa" or "no-policy-found", with the policy's strings), to which MX, and the result-type on failure.
/// </summary>
public sealed record TlsSessionOutcome(
    string PolicyDomain,
    string PolicyType,
    IReadOnlyList<string> PolicyStrings,
    string? MxHost,
    string? ReceivingIp,
    string? ResultType,
    string? Reason)
{
    public bool Succeeded => ResultType is null;
}
