using Keypost.Client.Discovery;
using Keypost.Core.Policy;

namespace Keypost.Client.Sending;

/// <summary>
/// What sending did: encrypted or not, and what discovery said about each recipient; <see cref="KeyProof"/> says
/// whether the message carries the proof of the sender's own key (docs/transparency.md), and why not.
/// </summary>
public sealed record SendReport(SendMode Mode, string Reason, IReadOnlyList<DiscoveredKey> Recipients, string MessageId)
{
    public string? KeyProof { get; init; }
}
