using System.Text;

namespace Keypost.Fuzz.Support;

/// <summary>The messages every IMAP session harness starts with: plain, multipart, nested, odd and not a message.</summary>
internal static class SeedMessages
{
    public static IReadOnlyList<byte[]> All { get; } =
    [
        Ascii("From: Leia Organa <leia@rebel.test>\r\nTo: <luke@jedi.test>\r\nSubject: Plans\r\nDate: Mon, 02 Nov 2026 10:00:00 +0000\r\nMessage-ID: <1@rebel.test>\r\n\r\nHello Luke\r\n"),
        Ascii("From: Leia <leia@rebel.test>\r\nTo: luke@jedi.test, Han <han@rebel.test>\r\nCc: undisclosed:;\r\nSubject: =?utf-8?q?Pl=C3=A4ne?=\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"outer\"\r\n\r\npreamble\r\n--outer\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe plans.\r\n--outer\r\nContent-Type: message/rfc822\r\n\r\nFrom: R2 <r2@rebel.test>\r\nSubject: inner\r\nContent-Type: multipart/alternative; boundary=in\r\n\r\n--in\r\nContent-Type: text/plain\r\n\r\ninner text\r\n--in\r\nContent-Type: text/html\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n<p>inner =3D html</p>\r\n--in--\r\n--outer\r\nContent-Type: application/octet-stream; name=\"plans.bin\"\r\nContent-Disposition: attachment; filename=\"plans.bin\"\r\nContent-Transfer-Encoding: base64\r\n\r\nREVBVEggU1RBUg==\r\n--outer--\r\n"),
        Encoding.UTF8.GetBytes("From: Jürgen <jürgen@jedi.test>\r\nSubject: Grüße\r\nDate: bad date\r\n\r\n8-bit body äöü\r\n"),
        Ascii("abcde"),
        Ascii("Subject: no blank line and no From"),
    ];

    private static byte[] Ascii(string text) => Encoding.ASCII.GetBytes(text);
}
