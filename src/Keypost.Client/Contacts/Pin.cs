namespace Keypost.Client.Contacts;

/// <summary>The key a user's software remembers for an address.</summary>
public sealed record Pin(string Address, string Fingerprint, DateTimeOffset FirstSeen, DateTimeOffset LastVerified, PinMethod Method);
