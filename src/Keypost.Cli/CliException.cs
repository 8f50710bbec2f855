namespace Keypost.Cli;

/// <summary>A usage problem found by a command itself.</summary>
public sealed class CliException(string message) : Exception(message);
