namespace Keypost.Client.Reading;

/// <summary>No message with that UID (or no such folder) on the server.</summary>
public sealed class NoSuchMessageException(string message) : Exception(message);
