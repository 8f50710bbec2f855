namespace Keypost.Transparency.Witness;

/// <summary>The newest checkpoint a witness cosigned for one log: origin, size, root, and the note as submitted.</summary>
public sealed record WitnessRecord(string Origin, long Size, byte[] RootHash, string Note);
