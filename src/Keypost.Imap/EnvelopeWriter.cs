using System.Text;
using MimeKit;
using MimeKit.Utils;

namespace Keypost.Imap;

/// <summary>The ENVELOPE structure (RFC 9051 §7.5.2): header values as stored, addresses split into parts.</summary>
internal static class EnvelopeWriter
{
    public static void Write(ImapWriter w, MimeMessage message)
    {
        var from = message.From;
        w.Raw("(").NString(Raw(message, HeaderId.Date)).Raw(" ").NString(Raw(message, HeaderId.Subject)).Raw(" ");
        Addresses(w, from);
        w.Raw(" ");
        // RFC 9051 §7.5.2: absent or empty Sender and Reply-To are given the value of From.
        Addresses(w, message.Sender is null ? from : [message.Sender]);
        w.Raw(" ");
        Addresses(w, message.ReplyTo.Count > 0 ? message.ReplyTo : from);
        w.Raw(" ");
        Addresses(w, message.To);
        w.Raw(" ");
        Addresses(w, message.Cc);
        w.Raw(" ");
        Addresses(w, message.Bcc);
        w.Raw(" ").NString(Raw(message, HeaderId.InReplyTo)).Raw(" ").NString(Raw(message, HeaderId.MessageId)).Raw(")");
    }

    private static string? Raw(MimeMessage message, HeaderId id)
    {
        var header = message.Headers.FirstOrDefault(h => h.Id == id);
        if (header is null)
        {
            return null;
        }

        var value = Encoding.UTF8.GetString(header.RawValue).Replace("\r", "", StringComparison.Ordinal).Replace("\n", "", StringComparison.Ordinal);
        return value.Trim();
    }

    private static void Addresses(ImapWriter w, IEnumerable<InternetAddress> list)
    {
        var items = list.ToList();
        if (items.Count == 0)
        {
            w.Raw("NIL");
            return;
        }

        w.Raw("(");
        foreach (var address in items)
        {
            switch (address)
            {
                case MailboxAddress mailbox:
                    Mailbox(w, mailbox);
                    break;
                case GroupAddress group:
                    // RFC 9051 §7.5.2: a group is a start marker with the name in the mailbox field, its members, an end marker.
                    w.Raw("(NIL NIL ").NString(group.Name).Raw(" NIL)");
                    foreach (var member in group.Members.Mailboxes)
                    {
                        Mailbox(w, member);
                    }

                    w.Raw("(NIL NIL NIL NIL)");
                    break;
            }
        }

        w.Raw(")");
    }

    private static void Mailbox(ImapWriter w, MailboxAddress mailbox)
    {
        string? name = string.IsNullOrEmpty(mailbox.Name) ? null : mailbox.Name;
        if (name is not null && name.Any(c => c >= 0x7f))
        {
            // Keep the envelope 7-bit for IMAP4rev1 clients: encoded words as in the header itself (RFC 2047).
            name = Encoding.ASCII.GetString(Rfc2047.EncodePhrase(Encoding.UTF8, name));
        }

        var at = mailbox.Address.LastIndexOf('@');
        var local = at < 0 ? mailbox.Address : mailbox.Address[..at];
        var host = at < 0 ? null : mailbox.Address[(at + 1)..];
        w.Raw("(").NString(name).Raw(" NIL ").NString(local).Raw(" ").NString(host).Raw(")");
    }
}
