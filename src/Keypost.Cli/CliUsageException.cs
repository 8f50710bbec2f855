namespace Keypost.Cli;

/// <summary>The command was used wrongly (an unknown message ID, a stale listing, no such folder): exit code 2.</summary>
public sealed class CliUsageException(string message) : Exception(message);
