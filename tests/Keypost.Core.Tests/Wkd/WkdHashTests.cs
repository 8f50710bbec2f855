using Keypost.Core.Addresses;
using Keypost.Core.Wkd;

namespace Keypost.Core.Tests.Wkd;

public sealed class WkdHashTests
{
    [Fact]
    public void Matches_the_drafts_example()
    {
        // draft-koch-openpgp-webkey-service §3.1.
        var address = EmailAddress.Parse("Joe.Doe@Example.ORG");
        Assert.Equal("iy9q119eutrkn8s1mk4r39qejnbu3n5q", WkdHash.Compute(address));
        Assert.Equal(
            "https://openpgpkey.example.org/.well-known/openpgpkey/example.org/hu/iy9q119eutrkn8s1mk4r39qejnbu3n5q?l=Joe.Doe",
            WkdUrls.Advanced(address).AbsoluteUri);
        Assert.Equal(
            "https://example.org/.well-known/openpgpkey/hu/iy9q119eutrkn8s1mk4r39qejnbu3n5q?l=Joe.Doe",
            WkdUrls.Direct(address).AbsoluteUri);
    }

    [Fact]
    public void Only_ascii_letters_are_case_folded()
    {
        Assert.Equal(WkdHash.Compute("JOE.DOE"), WkdHash.Compute("joe.doe"));
        Assert.NotEqual(WkdHash.Compute("Ö"), WkdHash.Compute("ö"));
    }

    [Theory]
    [InlineData(new byte[0], "")]
    [InlineData(new byte[] { 0xff }, "9h")]
    [InlineData(new byte[] { 0x00 }, "yy")]
    [InlineData(new byte[] { 0xf0, 0xbf, 0xc7 }, "6n9hq")]
    public void ZBase32_encodes_known_values(byte[] input, string expected)
    {
        Assert.Equal(expected, ZBase32.Encode(input));
    }

    [Theory]
    [InlineData("iy9q119eutrkn8s1mk4r39qejnbu3n5q", true)]
    [InlineData("iy9q119eutrkn8s1mk4r39qejnbu3n5", false)]
    [InlineData("iy9q119eutrkn8s1mk4r39qejnbu3n5l", false)]
    [InlineData("IY9Q119EUTRKN8S1MK4R39QEJNBU3N5Q", false)]
    [InlineData("../../../../etc/passwd/aaaaaaaaaa", false)]
    public void Recognises_wkd_hashes(string text, bool expected)
    {
        Assert.Equal(expected, ZBase32.IsWkdHash(text));
    }

    [Fact]
    public void Local_part_is_percent_encoded_in_urls()
    {
        var url = WkdUrls.Advanced(EmailAddress.Parse("a&b=c@x.test")).AbsoluteUri;
        Assert.EndsWith("?l=a%26b%3Dc", url);
    }
}
