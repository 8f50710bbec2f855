namespace Keypost.Client.Publishing;

/// <summary>The directory refused a publication; the message is one line with the server's reason.</summary>
public sealed class KeyPublishException(string message) : Exception(message);
