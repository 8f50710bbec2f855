namespace Keypost.Store;

/// <summary>One message of a mailbox: its UID and where its file is now (path relative to the mailbox directory).</summary>
public sealed record MessageEntry(uint Uid, string BaseName, string RelativePath, MessageFlags Flags, string OtherInfo, long Size, DateTimeOffset InternalDate);
