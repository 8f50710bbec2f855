using Keypost.Mail.Authentication;

namespace Keypost.Server.Dns;

/// <summary>One expected record and what DNS answered for it.</summary>
public sealed record DnsCheckResult(PublishedDnsRecord Expected, DnsCheckStatus Status, string Found)
{
    public override string ToString() =>
        $"{Status.ToString().ToUpperInvariant(),-9} {Expected.Type,-5} {Expected.Name}: {Expected.Purpose}"
        + (Status == DnsCheckStatus.Ok ? "" : $"\n          expected: {Expected.Value}\n          found:    {Found}");
}
