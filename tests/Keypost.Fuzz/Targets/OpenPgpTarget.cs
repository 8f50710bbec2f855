using System.Text;
using Keypost.Core.OpenPgp;

namespace Keypost.Fuzz.Targets;

/// <summary>
/// OpenPGP packet scanning and certificate import, binary and armored, and secret key import: an
/// OpenPgpException is the intended refusal; any other exception, or a certificate that cannot describe itself,
/// is a finding.
/// </summary>
internal static class OpenPgpTarget
{
    public static void Run(byte[] input)
    {
        try
        {
            PacketScanner.Tags(input);
        }
        catch (OpenPgpException)
        {
        }

        Import(() => Certificate.Parse(input));
        Import(() => Certificate.Parse(Encoding.UTF8.GetString(input)));
        try
        {
            var secret = SecretKey.Parse(input);
            _ = secret.Fingerprint + secret.IsProtected;
        }
        catch (OpenPgpException)
        {
        }
    }

    private static void Import(Func<Certificate> parse)
    {
        Certificate certificate;
        try
        {
            certificate = parse();
        }
        catch (OpenPgpException)
        {
            return;
        }

        // An imported certificate must print, re-encode and parse again.
        _ = certificate.Fingerprint + certificate.KeyIdHex + certificate.PrimaryAlgorithmName + certificate.ToArmored();
        Certificate.Parse(certificate.ToBinary());
    }
}
