using Keypost.Client.Discovery;
using Keypost.Core.Policy;

namespace Keypost.Client.Sending;

/// <summary>What sending did: encrypted or not, and what discovery said about each recipient.</summary>
public sealed record SendReport(SendMode Mode, string Reason, IReadOnlyList<DiscoveredKey> Recipients, string MessageId);
