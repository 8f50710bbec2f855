namespace Keypost.Imap.Tests;

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

    public const string Forwarded =
        "From: Han <han@rebel.test>\r\n" +
        "To: <luke@jedi.test>\r\n" +
        "Subject: Fwd: orders\r\n" +
        "MIME-Version: 1.0\r\n" +
        "Content-Type: multipart/mixed; boundary=\"b1\"\r\n" +
        "\r\n" +
        "--b1\r\n" +
        "Content-Type: text/plain\r\n" +
        "\r\n" +
        "See below.\r\n" +
        "--b1\r\n" +
        "Content-Type: message/rfc822\r\n" +
        "\r\n" +
        "From: Mon Mothma <mon@rebel.test>\r\n" +
        "Subject: orders\r\n" +
        "Content-Type: multipart/alternative; boundary=\"b2\"\r\n" +
        "\r\n" +
        "--b2\r\n" +
        "Content-Type: text/plain\r\n" +
        "\r\n" +
        "Go to Endor.\r\n" +
        "--b2\r\n" +
        "Content-Type: text/html\r\n" +
        "\r\n" +
        "<p>Go to Endor.</p>\r\n" +
        "--b2--\r\n" +
        "--b1--\r\n";
}
