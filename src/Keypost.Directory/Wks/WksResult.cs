using Keypost.Directory.Publishing;

namespace Keypost.Directory.Wks;

/// <summary>
/// What the Web Key Service made of one message: accepted (perhaps with a reply to mail and with what it
/// published), or refused with a one-line reason. <see cref="Transient"/> refusals (rate limits) may succeed later.
/// </summary>
public sealed record WksResult(bool Accepted, string Message, bool Transient = false, WksReply? Reply = null, IReadOnlyList<Publication>? Published = null)
{
    public static WksResult Refused(string reason) => new(false, reason);

    public static WksResult Later(string reason) => new(false, reason, Transient: true);
}
