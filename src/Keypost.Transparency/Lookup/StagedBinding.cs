using Keypost.Transparency.Map;

namespace Keypost.Transparency.Lookup;

/// <summary>
/// A binding as the server keeps it: the address, its VRF proof and output (the map key), the opening and the
/// commitment (the map value). Everything a lookup answer needs, so that nothing is recomputed per request.
/// </summary>
public sealed record StagedBinding(string Address, Binding Binding, byte[] VrfProof, byte[] MapKey, byte[] Opening, byte[] Commitment);
