using System.Text;
using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;

namespace Keypost.Core.Tests.OpenPgp;

public sealed class BadInputTests
{
    private static readonly Lazy<Certificate> Valid = new(() =>
        new KeyGenerator().Generate(new KeyGenerationRequest(EmailAddress.Parse("luke@jedi.test"))).Certificate);

    private static OpenPgpError Refusal(byte[] data) => Assert.Throws<OpenPgpException>(() => Certificate.Parse(data)).Error;

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(8)]
    public void Random_bytes_are_refused_with_an_OpenPgpException(int seed)
    {
        var data = new byte[4096];
        new Random(seed).NextBytes(data);

        var error = Refusal(data);

        Assert.NotEqual(OpenPgpError.TooLarge, error);
    }

    [Fact]
    public void Text_and_empty_input_are_not_OpenPgp()
    {
        Assert.Equal(OpenPgpError.NotOpenPgp, Refusal("hello, this is not a key"u8.ToArray()));
        Assert.Equal(OpenPgpError.NotOpenPgp, Refusal([]));
        Assert.Equal(OpenPgpError.NotOpenPgp, Refusal(" \r\n"u8.ToArray()));
    }

    [Fact]
    public void A_png_is_refused()
    {
        byte[] png = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52, 0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0];

        var exception = Assert.Throws<OpenPgpException>(() => Certificate.Parse(png));

        Assert.Contains("truncated", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_truncation_of_a_valid_certificate_is_refused()
    {
        var binary = Valid.Value.ToBinary();
        var errors = new HashSet<OpenPgpError>();
        for (var length = 1; length < binary.Length; length++)
        {
            try
            {
                var parsed = Certificate.Parse(binary.AsSpan(0, length));

                // Cutting exactly between packets leaves a shorter but well-formed certificate: it must then
                // miss something the policy insists on.
                Assert.NotEmpty(new CertificatePolicy().Validate(parsed, EmailAddress.Parse("luke@jedi.test"), DateTimeOffset.UtcNow));
            }
            catch (OpenPgpException e)
            {
                errors.Add(e.Error);
            }
        }

        Assert.Contains(OpenPgpError.Truncated, errors);
    }

    [Fact]
    public void Armor_with_junk_base64_is_refused()
    {
        const string junk = "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n!!!!not*base64@@@@\n%%%%\n=AAAA\n-----END PGP PUBLIC KEY BLOCK-----\n";

        var error = Assert.Throws<OpenPgpException>(() => Certificate.Parse(junk)).Error;

        Assert.True(error is OpenPgpError.BadArmor or OpenPgpError.NotOpenPgp, error.ToString());
    }

    [Fact]
    public void Armor_with_a_bad_checksum_is_refused()
    {
        var lines = Valid.Value.ToArmored().Split('\n');
        var crc = Array.FindIndex(lines, l => l.StartsWith('='));
        Assert.True(crc > 0, "BouncyCastle writes a CRC line");
        lines[crc] = lines[crc] == "=AAAA" ? "=BBBB" : "=AAAA";

        var exception = Assert.Throws<OpenPgpException>(() => Certificate.Parse(string.Join('\n', lines)));

        Assert.Equal(OpenPgpError.BadArmor, exception.Error);
        Assert.StartsWith("the ASCII armor is corrupt", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Armor_with_a_flipped_character_is_refused()
    {
        var armored = Valid.Value.ToArmored();
        var lines = armored.Split('\n');
        var body = Array.FindIndex(lines, l => l.Length == 64);
        var chars = lines[body].ToCharArray();
        chars[10] = chars[10] == 'A' ? 'B' : 'A';
        lines[body] = new string(chars);

        Assert.Throws<OpenPgpException>(() => Certificate.Parse(string.Join('\n', lines)));
    }

    [Fact]
    public async Task Ten_megabytes_are_refused_by_the_size_cap_without_reading_them_all()
    {
        var big = new byte[10 * 1024 * 1024];
        big[0] = 0x99;

        Assert.Equal(OpenPgpError.TooLarge, Refusal(big));
        Assert.Equal(OpenPgpError.TooLarge, Assert.Throws<OpenPgpException>(() => Certificate.Parse(new string('A', 10 * 1024 * 1024))).Error);
        using var stream = new MemoryStream(big);
        var exception = await Assert.ThrowsAsync<OpenPgpException>(() => Certificate.LoadAsync(stream));
        Assert.Equal(OpenPgpError.TooLarge, exception.Error);
        Assert.True(stream.Position < 2 * Certificate.DefaultMaxBytes, $"read {stream.Position} bytes");
        Assert.Equal(OpenPgpError.TooLarge, Assert.Throws<OpenPgpException>(() => Certificate.Parse(Valid.Value.ToBinary(), maxBytes: 100)).Error);
    }

    [Fact]
    public void Two_certificates_in_one_input_are_refused()
    {
        var other = new KeyGenerator().Generate(new KeyGenerationRequest(EmailAddress.Parse("leia@rebel.test"))).Certificate;

        var error = Refusal([.. Valid.Value.ToBinary(), .. other.ToBinary()]);

        Assert.Equal(OpenPgpError.MultipleKeys, error);
    }

    [Fact]
    public void A_signature_packet_alone_is_not_a_certificate()
    {
        var signature = Valid.Value.ToBouncyCastle().GetPublicKey().GetSignatures().First().GetEncoded();

        Assert.Equal(OpenPgpError.NotACertificate, Refusal(signature));
    }

    [Fact]
    public void Corrupt_key_material_inside_well_framed_packets_is_an_OpenPgpException()
    {
        var binary = Valid.Value.ToBinary();
        for (var i = 2; i < 60; i++)
        {
            var copy = (byte[])binary.Clone();
            copy[i] ^= 0xff;
            try
            {
                var parsed = Certificate.Parse(copy);
                Assert.NotNull(parsed.Fingerprint);
            }
            catch (OpenPgpException e)
            {
                Assert.False(string.IsNullOrWhiteSpace(e.Message));
                Assert.DoesNotContain('\n', e.Message);
            }
        }
    }

    [Fact]
    public void Messages_are_one_line()
    {
        var exception = Assert.Throws<OpenPgpException>(() => Certificate.Parse(Encoding.ASCII.GetBytes("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n\n-----END PGP PUBLIC KEY BLOCK-----\n")));

        Assert.DoesNotContain('\n', exception.Message);
    }
}
