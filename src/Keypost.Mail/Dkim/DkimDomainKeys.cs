namespace Keypost.Mail.Dkim;

/// <summary>The pair of keys a domain signs every message with: one Ed25519 (RFC 8463), one RSA for older verifiers.</summary>
public sealed record DkimDomainKeys(string Domain, DkimKey Ed25519, DkimKey Rsa)
{
    public IReadOnlyList<DkimKey> All => [Ed25519, Rsa];
}
