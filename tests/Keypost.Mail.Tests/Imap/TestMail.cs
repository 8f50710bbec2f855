namespace Keypost.Mail.Tests.Imap;

/// <summary>Messages as SMTP would store them (CRLF line ends).</summary>
public static class TestMail
{
    public static string Simple(string subject, string body = "Hello Luke") =>
        "From: Leia Organa <leia@rebel.test>\r\nTo: <luke@jedi.test>\r\nSubject: " + subject
        + "\r\nDate: Mon, 02 Nov 2026 10:00:00 +0000\r\nMessage-ID: <" + Guid.NewGuid().ToString("N") + "@rebel.test>\r\n\r\n" + body + "\r\n";

    public const string Multipart =
        "From: Leia Organa <leia@rebel.test>\r\n" +
        "To: <luke@jedi.test>\r\n" +
        "Cc: Han <han@rebel.test>\r\n" +
        "Subject: Plans attached\r\n" +
        "Date: Tue, 03 Nov 2026 11:00:00 +0000\r\n" +
        "MIME-Version: 1.0\r\n" +
        "Content-Type: multipart/mixed; boundary=\"outer\"\r\n" +
        "\r\n" +
        "preamble\r\n" +
        "--outer\r\n" +
        "Content-Type: text/plain; charset=utf-8\r\n" +
        "\r\n" +
        "The plans are attached.\r\n" +
        "Second line.\r\n" +
        "--outer\r\n" +
        "Content-Type: application/octet-stream; name=\"plans.bin\"\r\n" +
        "Content-Disposition: attachment; filename=\"plans.bin\"\r\n" +
        "Content-Transfer-Encoding: base64\r\n" +
        "\r\n" +
        "REVBVEggU1RBUg==\r\n" +
        "--outer--\r\n";
}
