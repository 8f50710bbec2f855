using Keypost.Core.OpenPgp;
using Org.BouncyCastle.Bcpg;

namespace Keypost.Core.Tests.OpenPgp;

/// <summary>Keypost's armor writer against BouncyCastle's ArmoredOutputStream, which it replaced, and its reader.</summary>
public sealed class OpenPgpArmorTests
{
    [Theory]
    [InlineData(0xC1, "PGP MESSAGE")]
    [InlineData(0x85, "PGP MESSAGE")]
    [InlineData(0x99, "PGP PUBLIC KEY BLOCK")]
    [InlineData(0xC6, "PGP PUBLIC KEY BLOCK")]
    [InlineData(0x95, "PGP PRIVATE KEY BLOCK")]
    [InlineData(0xC2, "PGP SIGNATURE")]
    [InlineData(0x89, "PGP SIGNATURE")]
    public void Every_length_is_armored_byte_for_byte_as_bouncycastle_did_and_reads_back(int firstOctet, string type)
    {
        var random = new Random(firstOctet);
        foreach (var length in Enumerable.Range(1, 150).Concat([1000, 4095, 10_240]))
        {
            var data = new byte[length];
            random.NextBytes(data);
            data[0] = (byte)firstOctet;

            var ours = OpenPgpArmor.ArmorAscii(data);

            Assert.Equal(BouncyCastleArmor(data), ours);
            Assert.StartsWith($"-----BEGIN {type}-----\n\n", System.Text.Encoding.ASCII.GetString(ours), StringComparison.Ordinal);
            using var reader = new ArmoredInputStream(new MemoryStream(ours));
            using var back = new MemoryStream();
            reader.CopyTo(back);
            Assert.Equal(data, back.ToArray());
            Assert.True(reader.IsEndOfStream());
        }
    }

    [Fact]
    public void Nothing_armors_to_nothing()
    {
        Assert.Empty(OpenPgpArmor.ArmorAscii([]));
        Assert.Equal("", OpenPgpArmor.Armor([]));
    }

    private static byte[] BouncyCastleArmor(byte[] data)
    {
        using var output = new MemoryStream();
        using (var armored = ArmoredOutputStream.Build().ClearHeaders().Build(output))
        {
            armored.Write(data, 0, data.Length);
        }

        return output.ToArray();
    }
}
