namespace Keypost.Client.Sending;

/// <summary>What the user writes: the real subject and body never leave the machine in the clear when encrypted.</summary>
public sealed record OutgoingMessage(string From, IReadOnlyList<string> To, string Subject, string Body, IReadOnlyList<string>? AttachmentPaths = null);
