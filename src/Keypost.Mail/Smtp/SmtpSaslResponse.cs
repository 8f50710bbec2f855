namespace Keypost.Mail.Smtp;

/// <summary>A decoded SASL response line, or the reply that ends the exchange.</summary>
internal readonly record struct SmtpSaslResponse(string? Text, SmtpReply? Reply);
