namespace Keypost.Transparency.Witness;

/// <summary>An add-checkpoint answer: HTTP status, content type and body, as C2SP tlog-witness defines them.</summary>
public sealed record WitnessResponse(int Status, string ContentType, string Body)
{
    /// <summary>C2SP tlog-witness: the 409 body is the latest cosigned size, with this media type.</summary>
    public const string SizeContentType = "text/x.tlog.size";

    public const string TextContentType = "text/plain; charset=utf-8";

    internal static WitnessResponse Error(int status, string message) => new(status, TextContentType, message + "\n");
}
