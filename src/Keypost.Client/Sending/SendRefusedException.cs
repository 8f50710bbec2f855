namespace Keypost.Client.Sending;

/// <summary>Nothing was sent: policy or a changed key stopped it. The message names who and why.</summary>
public sealed class SendRefusedException(string message) : Exception(message);
