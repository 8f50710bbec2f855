using Keypost.Transparency.Map;
using Keypost.Transparency.Vrf;

namespace Keypost.Transparency.Lookup;

/// <summary>
/// Everything a client needs to check one address's newest binding in one answer: the VRF proof of the map key, the
/// prefix-tree proof, the binding and its opening when present, the log entry of the newest epoch with its inclusion
/// proof, an optional consistency proof from a size the client named, and the signed checkpoint. <see cref="Suite"/>
/// is the VRF suite of the proof (it must be the logged entry's); <see cref="History"/> marks a proof of a log with
/// history chains (version 3: the binding carries <see cref="Binding.History"/>, the entry is format 3).
/// </summary>
public sealed record LookupProof(
    byte[] VrfProof,
    MapProof MapProof,
    Binding? Binding,
    byte[]? Opening,
    byte[] Entry,
    IReadOnlyList<byte[]> Inclusion,
    long ConsistencyFrom,
    IReadOnlyList<byte[]> Consistency,
    byte[] Checkpoint,
    VrfSuite Suite = VrfSuite.P256,
    bool History = false);
