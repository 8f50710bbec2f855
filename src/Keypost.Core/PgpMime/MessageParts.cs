using System.Text;
using Keypost.Core.Text;
using MimeKit;
using MimeKit.Cryptography;

namespace Keypost.Core.PgpMime;

/// <summary>Walks a MIME tree for attachments, stray OpenPGP data and signatures on nested parts.</summary>
internal static class MessageParts
{
    private const int PeekBytes = 4096;

    public static IEnumerable<MimeEntity> All(MimeEntity? root)
    {
        if (root is null)
        {
            yield break;
        }

        var stack = new Stack<MimeEntity>();
        stack.Push(root);
        while (stack.Count > 0)
        {
            var entity = stack.Pop();
            yield return entity;
            var children = entity switch
            {
                Multipart multipart => multipart.Reverse().ToList(),
                MessagePart { Message.Body: { } body } => [body],
                _ => new List<MimeEntity>(),
            };
            foreach (var child in children)
            {
                stack.Push(child);
            }
        }
    }

    /// <summary>
    /// Parts offered as files: declared attachments, non-text parts, and any part holding OpenPGP data, which
    /// is never decrypted or joined with its neighbours outside an RFC 3156 root (EFAIL direct exfiltration).
    /// An application/pgp-encrypted part is left out only when it is what RFC 3156 §4 puts there ("Version: 1");
    /// one that holds ciphertext is stray data and is listed, with a warning.
    /// </summary>
    public static List<PgpMimeAttachment> Attachments(MimeEntity? root) =>
        All(root)
            .OfType<MimePart>()
            .Where(p => p is not ApplicationPgpSignature)
            .Where(p => !IsPgpEncrypted(p) || HoldsArmor(p))
            .Select(p => (Part: p, OpenPgp: HoldsOpenPgp(p)))
            .Where(p => p.OpenPgp || p.Part.IsAttachment || !p.Part.ContentType.IsMimeType("text", "*"))
            .Select(p => new PgpMimeAttachment(
                DisplayText.Escape(p.Part.FileName ?? "unnamed", 255),
                p.Part.ContentType.MimeType,
                p.Part,
                p.OpenPgp))
            .ToList();

    public static bool HasNestedSignature(MimeEntity? root) =>
        All(root).Skip(1).Any(e => e is MultipartSigned or ApplicationPgpSignature || e.ContentType.IsMimeType("multipart", "signed"));

    public static bool HoldsOpenPgp(MimePart part) => IsPgpEncrypted(part) || HoldsArmor(part);

    private static bool IsPgpEncrypted(MimePart part) =>
        part is ApplicationPgpEncrypted || part.ContentType.IsMimeType("application", "pgp-encrypted");

    private static bool HoldsArmor(MimePart part)
    {
        if (part.Content is null)
        {
            return false;
        }

        // Only the start is decoded: armor sits at the top of a part, and a huge part need not be read whole.
        using var decoded = part.Content.Open();
        var buffer = new byte[PeekBytes];
        var length = decoded.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        return Encoding.ASCII.GetString(buffer, 0, length).Contains("-----BEGIN PGP MESSAGE-----", StringComparison.Ordinal);
    }
}
