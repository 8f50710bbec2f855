namespace Keypost.Testing.Mail;

/// <summary>A message the scripted peer accepted: its envelope as sent, the data and whether TLS was on.</summary>
public sealed record PeerMessage(string MailFrom, IReadOnlyList<string> RcptTo, string Data, bool Tls);
