using System.Xml.Linq;

namespace Keypost.Store.Tests.Architecture;

/// <summary>
/// The parts' one-way arrows (docs/architecture.md) read from the project files themselves: a ProjectReference
/// against the house fails here, whoever adds it.
/// </summary>
public sealed class ProjectReferenceTests
{
    // Each part and the parts it may reference (directly). Anything not listed is an arrow against the house.
    private static readonly Dictionary<string, string[]> Allowed = new(StringComparer.Ordinal)
    {
        ["Keypost.Core"] = [],
        ["Keypost.Net"] = [],
        ["Keypost.Data"] = [],
        ["Keypost.Transparency"] = ["Keypost.Core"],
        ["Keypost.Store"] = ["Keypost.Core", "Keypost.Data"],
        ["Keypost.Mail"] = ["Keypost.Core", "Keypost.Net", "Keypost.Store"],
        ["Keypost.Imap"] = ["Keypost.Core", "Keypost.Net", "Keypost.Store"],
        ["Keypost.Directory"] = ["Keypost.Core", "Keypost.Data", "Keypost.Transparency"],
        ["Keypost.Client"] = ["Keypost.Core", "Keypost.Transparency"],
        ["Keypost.Server"] = ["Keypost.Core", "Keypost.Net", "Keypost.Store", "Keypost.Mail", "Keypost.Imap", "Keypost.Directory", "Keypost.Client", "Keypost.Transparency"],
        // Everything a one-machine bed needs and a deployment never loads: above the parts it serves.
        ["Keypost.LocalServe"] = ["Keypost.Core", "Keypost.Mail", "Keypost.Server"],
        ["Keypost.Cli"] = ["Keypost.Core", "Keypost.Store", "Keypost.Mail", "Keypost.Imap", "Keypost.Directory", "Keypost.Client", "Keypost.Server", "Keypost.Transparency", "Keypost.LocalServe"],
    };

    // Only the command (for `keypost demo`) may load the bed's part; a server or library never does.
    private static readonly string[] MayReferenceLocalServe = ["Keypost.Cli"];

    public static TheoryData<string> Parts()
    {
        var data = new TheoryData<string>();
        foreach (var project in System.IO.Directory.EnumerateFiles(Path.Combine(RepositoryRoot(), "src"), "*.csproj", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileNameWithoutExtension(project));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Parts))]
    public void A_part_references_only_the_parts_below_it(string part)
    {
        Assert.True(Allowed.TryGetValue(part, out var allowed), $"{part} is a new part: add its arrows to docs/architecture.md and to this test");
        var against = References(part).Where(r => !allowed!.Contains(r)).ToList();
        Assert.True(against.Count == 0, $"{part} references {string.Join(", ", against)}: an arrow against the house (docs/architecture.md)");
    }

    [Theory]
    [MemberData(nameof(Parts))]
    public void Only_the_command_loads_the_local_bed(string part)
    {
        if (!MayReferenceLocalServe.Contains(part))
        {
            Assert.DoesNotContain("Keypost.LocalServe", References(part));
        }
    }

    [Fact]
    public void The_local_bed_types_live_in_no_deployed_part()
    {
        // LoopbackDnsServer and LocalCertificateAuthority once sat in Mail and Server (issue #9): a deployment
        // carried a fake DNS server and a private CA.
        var root = RepositoryRoot();
        var offenders = System.IO.Directory.EnumerateFiles(Path.Combine(root, "src"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains(Path.DirectorySeparatorChar + "Keypost.LocalServe" + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            .Where(f => File.ReadAllText(f) is var text && (text.Contains("class LoopbackDnsServer", StringComparison.Ordinal) || text.Contains("class LocalCertificateAuthority", StringComparison.Ordinal)))
            .Select(f => Path.GetRelativePath(root, f))
            .ToList();
        Assert.True(offenders.Count == 0, "bed types outside Keypost.LocalServe: " + string.Join(", ", offenders));
    }

    [Fact]
    public void Imap_and_mail_meet_only_in_the_store()
    {
        // The message path: Smtp -> intake -> queue -> delivery -> store <- imap; no arrow back.
        Assert.DoesNotContain("Keypost.Mail", References("Keypost.Imap"));
        Assert.DoesNotContain("Keypost.Imap", References("Keypost.Mail"));
        Assert.DoesNotContain("Keypost.Mail", References("Keypost.Store"));
        Assert.DoesNotContain("Keypost.Imap", References("Keypost.Store"));
        Assert.Contains("Keypost.Store", References("Keypost.Mail"));
        Assert.Contains("Keypost.Store", References("Keypost.Imap"));
    }

    private static List<string> References(string part)
    {
        var path = Path.Combine(RepositoryRoot(), "src", part, part + ".csproj");
        return XDocument.Load(path).Descendants("ProjectReference")
            .Select(e => Path.GetFileNameWithoutExtension(e.Attribute("Include")!.Value.Replace('\\', '/')))
            .ToList();
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Keypost.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Keypost.slnx not found above " + AppContext.BaseDirectory);
    }
}
