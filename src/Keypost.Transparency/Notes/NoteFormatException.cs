namespace Keypost.Transparency.Notes;

/// <summary>A note, verifier key or checkpoint that does not follow its C2SP format, or whose signature fails.</summary>
public sealed class NoteFormatException(string message) : Exception(message);
