using Org.BouncyCastle.Bcpg.OpenPgp;

namespace Keypost.Testing.OpenPgp;

/// <summary>A certificate flooded with 10,000 third-party certifications, built once per test run.</summary>
public sealed class FloodedCertificate
{
    public const int Certifications = 10_000;

    public FloodedCertificate()
    {
        var primary = TestKeys.Ed25519();
        Ring = TestKeys.Build(primary, TestKeys.X25519(), "Luke <luke@jedi.test>");
        Signers = [TestKeys.Ed25519(), TestKeys.Ed25519(), TestKeys.Ed25519()];
        Binary = TestKeys.Flood(Ring, Signers, Certifications);
    }

    public PgpPublicKeyRing Ring { get; }

    public IReadOnlyList<PgpKeyPair> Signers { get; }

    public byte[] Binary { get; }
}
