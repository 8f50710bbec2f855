namespace Keypost.Server.Gateway;

/// <summary>The gateway will not take the message: a recipient's key failed its domain's transparency log check.</summary>
public sealed class GatewayRefusedException(string message) : Exception(message);
