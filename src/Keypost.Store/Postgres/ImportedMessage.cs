namespace Keypost.Store.Postgres;

/// <summary>A message as stored in PostgreSQL, for checking an import: its UID, flags, INTERNALDATE and SHA-256 (hex).</summary>
public sealed record ImportedMessage(uint Uid, MessageFlags Flags, DateTimeOffset InternalDate, long Size, string Sha256);
