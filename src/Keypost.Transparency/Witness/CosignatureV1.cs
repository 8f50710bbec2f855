using System.Globalization;
using System.Text;

namespace Keypost.Transparency.Witness;

/// <summary>C2SP tlog-cosignature, Ed25519 type: the key type byte and the signed message.</summary>
public static class CosignatureV1
{
    /// <summary>C2SP tlog-cosignature: Ed25519 cosignature key IDs and vkeys use signature type 0x04.</summary>
    public const byte KeyType = 0x04;

    /// <summary>C2SP tlog-cosignature: the signature is timestamped_signature = u64 timestamp || Ed25519 signature.</summary>
    public const int SignatureLength = 8 + 64;

    /// <summary>
    /// C2SP tlog-cosignature "Ed25519 signed message": "cosignature/v1\n", "time &lt;POSIX seconds&gt;\n", then the
    /// whole checkpoint note body (with its final newline, without signature lines).
    /// </summary>
    public static byte[] Message(string checkpointText, long timestamp) =>
        Encoding.UTF8.GetBytes($"cosignature/v1\ntime {timestamp.ToString(CultureInfo.InvariantCulture)}\n{checkpointText}");
}
