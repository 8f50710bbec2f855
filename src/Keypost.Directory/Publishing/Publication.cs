using Keypost.Core.Addresses;

namespace Keypost.Directory.Publishing;

/// <summary>What publishing wrote for one address: the minimised certificate now served for it.</summary>
public sealed record Publication(EmailAddress Address, string Fingerprint, bool Revoked, byte[] Data);
