using Keypost.Transparency.Notes;

namespace Keypost.Transparency.Witness;

/// <summary>A log a witness agrees to cosign: its origin and the key its checkpoints must be signed with.</summary>
public sealed record WitnessedLog(string Origin, NoteVerifier Key);
