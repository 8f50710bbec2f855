using Keypost.Core.PgpMime;

namespace Keypost.Client.Reading;

/// <summary>A message as the user reads it: decrypted when it was encrypted, with what was verified.</summary>
public sealed record ReadMessage(uint Uid, PgpMimeReadResult Result, string Text);
