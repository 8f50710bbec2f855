using System.Text;
using Keypost.Mail.Smtp;

namespace Keypost.Testing.Mail;

public sealed record ReceivedMessage(SmtpSessionInfo Session, SmtpEnvelope Envelope, byte[] Data)
{
    public string Text => Encoding.UTF8.GetString(Data);
}
