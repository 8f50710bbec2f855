namespace Keypost.Core.OpenPgp.Streaming;

/// <summary>
/// One packet header as read from the stream: the tag, where the packet starts, and the first body length
/// (RFC 9580 §4.2): <paramref name="Partial"/> when more chunks follow, <paramref name="ToEnd"/> for an old-format
/// packet of indeterminate length (§4.2.2: the body runs to the end of the data).
/// </summary>
internal readonly record struct PacketHeader(int Tag, long Start, long Length, bool Partial, bool ToEnd);
