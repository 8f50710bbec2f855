namespace Keypost.Mail.Queue;

/// <summary>
/// What a commit removed from the queue's index: the message (every recipient final, or deleted by hand), and whether
/// its bytes were stored inline, in which case there is no data file to delete after it.
/// </summary>
internal readonly record struct RemovedRows(bool Message, bool InlineData);
