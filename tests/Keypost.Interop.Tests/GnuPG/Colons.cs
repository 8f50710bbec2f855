namespace Keypost.Interop.Tests.GnuPG;

/// <summary>Reads gpg's --with-colons output (doc/DETAILS in GnuPG).</summary>
public static class Colons
{
    public static List<string[]> Records(string output, string type) =>
        output.Split('\n')
            .Select(l => l.TrimEnd('\r').Split(':'))
            .Where(f => f[0] == type)
            .ToList();

    /// <summary>The "fpr" records, in order (primary first, then subkeys).</summary>
    public static List<string> Fingerprints(string output) => Records(output, "fpr").Select(f => f[9]).ToList();
}
