using MimeKit.Cryptography;

namespace Keypost.Mail.Dkim;

/// <summary>A DKIM private key as stored (PKCS#8 PEM), with the domain and selector it signs for.</summary>
public sealed record DkimStoredKey(string Domain, string Selector, DkimSignatureAlgorithm Algorithm, string Pem);
