using Keypost.Directory.Wkd;

namespace Keypost.Directory.Tests.Wkd;

/// <summary>
/// The key lookups answered before routing must be exactly the requests the mapped key routes would match
/// ({domain}/hu/{hash} and hu/{hash} under /.well-known/openpgpkey, literals without case), no more and no fewer.
/// </summary>
public sealed class WkdKeyPathTests
{
    [Theory]
    [InlineData("/.well-known/openpgpkey/jedi.test/hu/abc", "jedi.test", "abc")]
    [InlineData("/.WELL-KNOWN/OpenPGPKey/Jedi.Test/HU/abc", "Jedi.Test", "abc")]
    [InlineData("/.well-known/openpgpkey/hu/abc", null, "abc")]
    [InlineData("/.well-known/openpgpkey/Hu/abc", null, "abc")]
    [InlineData("/.well-known/openpgpkey/hu/hu/abc", "hu", "abc")]
    [InlineData("/.well-known/openpgpkey/hu/policy", null, "policy")]
    public void Key_paths_are_recognised(string path, string? domain, string hash)
    {
        Assert.True(WkdEndpoints.TryParseKeyPath(path, out var parsedDomain, out var parsedHash));
        Assert.Equal(domain, parsedDomain);
        Assert.Equal(hash, parsedHash);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("/")]
    [InlineData("/.well-known/openpgpkey")]
    [InlineData("/.well-known/openpgpkey/")]
    [InlineData("/.well-known/openpgpkeyx/hu/abc")]
    [InlineData("/.well-known/openpgpkey/hu")]
    [InlineData("/.well-known/openpgpkey/hu/")]
    [InlineData("/.well-known/openpgpkey/policy")]
    [InlineData("/.well-known/openpgpkey/jedi.test/policy")]
    [InlineData("/.well-known/openpgpkey/jedi.test/submission-address")]
    [InlineData("/.well-known/openpgpkey/jedi.test/hu/")]
    [InlineData("/.well-known/openpgpkey/jedi.test/hu/abc/")]
    [InlineData("/.well-known/openpgpkey/jedi.test/hu/abc/def")]
    [InlineData("/.well-known/openpgpkey/jedi.test/huh/abc")]
    [InlineData("/.well-known/openpgpkey//hu/abc")]
    [InlineData("/.well-known/openpgpkey/jedi.test/log/checkpoint")]
    [InlineData("/x/.well-known/openpgpkey/hu/abc")]
    public void Other_paths_are_left_to_routing(string? path)
    {
        Assert.False(WkdEndpoints.TryParseKeyPath(path, out _, out _));
    }
}
