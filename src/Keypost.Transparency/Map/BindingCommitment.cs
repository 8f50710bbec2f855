using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Keypost.Transparency.Map;

/// <summary>
/// The prefix tree's leaf value: a hash commitment to a binding, hiding it behind a random 16-byte opening (as
/// KEYTRANS commits to a label's update; docs/transparency.md "Commitment").
/// </summary>
public static class BindingCommitment
{
    public const int OpeningLength = 16;
    private static readonly byte[] Context = Encoding.ASCII.GetBytes("keypost-kt-commitment-v1\0");
    private static readonly byte[] HistoryContext = Encoding.ASCII.GetBytes("keypost-kt-commitment-v2\0");

    public static byte[] NewOpening() => RandomNumberGenerator.GetBytes(OpeningLength);

    /// <summary>
    /// SHA-256(context || opening || u16 len || address || u64 version || u8 len || fingerprint || hash || revoked
    /// [|| history (32)]): context "keypost-kt-commitment-v1" 0x00 without a history chain, "-v2" with one
    /// (<see cref="Binding.History"/>, logs with entry format 3).
    /// </summary>
    public static byte[] Compute(ReadOnlySpan<byte> opening, string address, Binding binding)
    {
        if (opening.Length != OpeningLength || binding.CertificateHash.Length != 32 || binding.Fingerprint.Length is 0 or > 255
            || binding.History is { Length: not BindingHistory.Length })
        {
            throw new ArgumentException("a commitment takes a 16-byte opening, a 1..255-byte fingerprint and a 32-byte hash");
        }

        var label = Encoding.UTF8.GetBytes(address);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> number = stackalloc byte[8];
        hash.AppendData(binding.History is null ? Context : HistoryContext);
        hash.AppendData(opening);
        BinaryPrimitives.WriteUInt16BigEndian(number, checked((ushort)label.Length));
        hash.AppendData(number[..2]);
        hash.AppendData(label);
        BinaryPrimitives.WriteInt64BigEndian(number, binding.Version);
        hash.AppendData(number);
        hash.AppendData([(byte)binding.Fingerprint.Length]);
        hash.AppendData(binding.Fingerprint);
        hash.AppendData(binding.CertificateHash);
        hash.AppendData([binding.Revoked ? (byte)1 : (byte)0]);
        if (binding.History is not null)
        {
            hash.AppendData(binding.History);
        }

        return hash.GetHashAndReset();
    }
}
