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
        ["Keypost.Cli"] = ["Keypost.Core", "Keypost.Store", "Keypost.Mail", "Keypost.Imap", "Keypost.Directory", "Keypost.Client", "Keypost.Server", "Keypost.Transparency", "Keypost.Testing"],
    };

    public static TheoryData<string> Parts()
    {
        var data = new TheoryData<string>();
        foreach (var project in Directory.EnumerateFiles(Path.Combine(RepositoryRoot(), "src"), "*.csproj", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
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
