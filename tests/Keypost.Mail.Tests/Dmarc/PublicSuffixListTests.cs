using System.Globalization;
using System.Text.RegularExpressions;
using Keypost.Mail.Dmarc;

namespace Keypost.Mail.Tests.Dmarc;

/// <summary>
/// The vendored Public Suffix List and its matching rules against the list's own vectors
/// (tests/testdata/publicsuffix/test_psl.txt, see SOURCE.md there), and DMARC relaxed alignment across a
/// multi-label suffix (RFC 7489 §3.1, §3.2).
/// </summary>
public sealed partial class PublicSuffixListTests
{
    public static TheoryData<string, string?> Vectors()
    {
        var data = new TheoryData<string, string?>();
        var idn = new IdnMapping();
        // The list checks most names in both their Unicode and their A-label form; as A-labels they are one case.
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines(Path.Combine(AppContext.BaseDirectory, "testdata", "publicsuffix", "test_psl.txt")))
        {
            var match = Check().Match(line);
            // Null input and leading dots are not DNS names a mail server is ever handed.
            if (!match.Success || match.Groups["input"].Value.StartsWith('.'))
            {
                continue;
            }

            var expected = match.Groups["expected"].Success ? idn.GetAscii(match.Groups["expected"].Value) : null;
            var input = idn.GetAscii(match.Groups["input"].Value);
            if (seen.Add(input))
            {
                data.Add(input, expected);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    public void The_registrable_domain_matches_the_lists_own_vectors(string domain, string? expected)
    {
        Assert.Equal(expected, PublicSuffixList.Default.RegistrableDomainOf(domain));
    }

    [Fact]
    public void Every_vector_was_read()
    {
        // 64 distinct cases once Unicode and A-label duplicates are one.
        Assert.True(Vectors().Count >= 64, "the vector file was not found or not parsed");
    }

    [Theory]
    [InlineData("mail.rebel.co.uk", "rebel.co.uk", true)]
    [InlineData("rebel.co.uk", "empire.co.uk", false)]
    [InlineData("leia.github.io", "vader.github.io", false)]
    public void Relaxed_alignment_needs_the_same_organizational_domain(string a, string b, bool aligned)
    {
        Assert.Equal(aligned, OrganizationalDomain.Aligned(a, b, DmarcAlignment.Relaxed));
    }

    [GeneratedRegex(@"^checkPublicSuffix\('(?<input>[^']+)', (?:'(?<expected>[^']+)'|null)\);")]
    private static partial Regex Check();
}
