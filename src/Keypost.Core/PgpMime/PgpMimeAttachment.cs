using MimeKit;

namespace Keypost.Core.PgpMime;

/// <summary>A part offered to the user as a file, never rendered inline or joined with other parts.</summary>
/// <param name="DisplayFileName">The file name escaped with DisplayText.Escape (or a neutral name when absent).</param>
/// <param name="ContentType">The declared MIME type, e.g. application/pdf.</param>
/// <param name="Part">The MIME part, for saving.</param>
/// <param name="IsOpenPgpData">Holds OpenPGP data outside an RFC 3156 root: left encrypted on purpose (EFAIL).</param>
public sealed record PgpMimeAttachment(string DisplayFileName, string ContentType, MimePart Part, bool IsOpenPgpData);
