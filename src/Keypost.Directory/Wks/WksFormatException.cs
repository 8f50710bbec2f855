namespace Keypost.Directory.Wks;

/// <summary>A message for the submission address that is not a Web Key Service message.</summary>
internal sealed class WksFormatException(string message) : Exception(message);
