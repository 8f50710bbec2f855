namespace Keypost.Transparency.Notes;

/// <summary>One signature line of a signed note: key name, 32-bit key ID and the signature bytes.</summary>
public sealed record NoteSignature(string KeyName, uint KeyId, byte[] Signature);
