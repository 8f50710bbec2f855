namespace Keypost.Server.Migration;

/// <summary>A migration found something it cannot copy or verify; the message is one line naming what.</summary>
public sealed class StorageMigrationException(string message, Exception? inner = null) : Exception(message, inner);
