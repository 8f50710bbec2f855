namespace Keypost.Mail.Spf;

/// <summary>One directive of a record (RFC 7208 §4.6.1): qualifier, mechanism name and its arguments.</summary>
internal sealed record SpfMechanism(SpfResult Qualifier, string Name, string? DomainSpec, int Prefix4, int Prefix6, System.Net.IPAddress? Network);
