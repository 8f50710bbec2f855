using System.Text;
using Org.BouncyCastle.Bcpg;

namespace Keypost.Core.OpenPgp;

/// <summary>ASCII armor (RFC 4880 §6.2) for export; the block type follows from the first packet.</summary>
internal static class OpenPgpArmor
{
    public static string Armor(byte[] binary)
    {
        using var output = new MemoryStream();
        // No "Version:" header: it only leaks software details (RFC 9580 §6.2.2.1 discourages it).
        using (var armored = ArmoredOutputStream.Build().ClearHeaders().Build(output))
        {
            armored.Write(binary, 0, binary.Length);
        }

        return Encoding.ASCII.GetString(output.ToArray());
    }
}
