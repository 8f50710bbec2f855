namespace Keypost.Client.Discovery;

/// <summary>A WKD server that answered, but not with something usable.</summary>
public sealed class WkdException(string message) : Exception(message);
