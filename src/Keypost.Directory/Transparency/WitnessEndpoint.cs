using Keypost.Transparency.Witness;

namespace Keypost.Directory.Transparency;

/// <summary>A witness the directory submits its checkpoints to: its submission prefix and its cosignature key.</summary>
public sealed record WitnessEndpoint(Uri SubmissionPrefix, CosignatureVerifier Key);
