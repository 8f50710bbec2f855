using System.Text;

namespace Keypost.Mail.Tests.Dkim;

public static class TestMessages
{
    public const string Plain =
        "From: Leia Organa <leia@rebel.test>\r\n" +
        "To: Luke <luke@jedi.test>\r\n" +
        "Subject: The plans\r\n" +
        "Date: Sat, 25 May 1977 10:00:00 +0000\r\n" +
        "Message-ID: <plans-1@rebel.test>\r\n" +
        "MIME-Version: 1.0\r\n" +
        "Content-Type: text/plain; charset=utf-8\r\n" +
        "\r\n" +
        "Help me, Obi-Wan Kenobi.\r\n" +
        "You're my only hope.\r\n";

    public static MemoryStream Stream(string text) => new(Encoding.UTF8.GetBytes(text));
}
