namespace Keypost.Server.Configuration;

/// <summary>A configuration file that cannot be used; the message names the file and the problem.</summary>
public sealed class ConfigException(string message) : Exception(message);
