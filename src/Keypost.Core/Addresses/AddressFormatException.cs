namespace Keypost.Core.Addresses;

/// <summary>An email address that cannot be parsed; the message says what is wrong in one line.</summary>
public sealed class AddressFormatException(string message) : FormatException(message);
