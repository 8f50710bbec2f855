namespace Keypost.Mail.Spf;

/// <summary>Ends an SPF evaluation early with permerror or temperror (RFC 7208 §2.6.6, §2.6.7).</summary>
internal sealed class SpfException(SpfResult result, string reason) : Exception(reason)
{
    public SpfResult Result { get; } = result;

    public static SpfException Perm(string reason) => new(SpfResult.PermError, reason);

    public static SpfException Temp(string reason) => new(SpfResult.TempError, reason);
}
