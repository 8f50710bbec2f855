namespace Keypost.Store.Postgres;

/// <summary>A message to import with the UID, flags and INTERNALDATE it had in the store it comes from.</summary>
public sealed record MessageImport(uint Uid, MessageFlags Flags, DateTimeOffset InternalDate, byte[] Bytes);
