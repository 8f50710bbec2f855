using Keypost.Mail.Queue;

namespace Keypost.Mail.Delivery;

/// <summary>One queued message and those of its due recipients that go to one domain.</summary>
internal sealed record DeliveryItem(QueuedMessage Message, IReadOnlyList<QueuedRecipient> Recipients);
