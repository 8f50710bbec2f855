namespace Keypost.Directory;

/// <summary>
/// In charge of the key directory's failures that reach a caller. A directory operation refused for a reason the user can act on; the message is one line.
/// </summary>
public sealed class DirectoryException(string message) : Exception(message);
