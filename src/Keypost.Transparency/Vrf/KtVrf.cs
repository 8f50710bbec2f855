namespace Keypost.Transparency.Vrf;

/// <summary>
/// In charge of the VRF that hides addresses in the map (RFC 9381, as KEYTRANS uses it).
/// The VRF operations of each <see cref="VrfSuite"/> behind one interface, as the map uses them: the map key of an
/// address is the VRF output truncated to 32 bytes (KEYTRANS truncates the VRF output to the hash length Nh = 32;
/// for P-256 the output is already 32 bytes).
/// </summary>
public static class KtVrf
{
    public const int MapKeyLength = 32;

    /// <summary>The suite of new logs.</summary>
    public const VrfSuite DefaultSuite = VrfSuite.Ed25519;

    public static bool IsKnown(VrfSuite suite) => suite is VrfSuite.P256 or VrfSuite.Ed25519;

    public static int ProofLength(VrfSuite suite) => suite switch
    {
        VrfSuite.P256 => EcVrfP256.ProofLength,
        VrfSuite.Ed25519 => EcVrfEd25519.ProofLength,
        _ => throw Unknown(suite),
    };

    public static int PublicKeyLength(VrfSuite suite) => suite switch
    {
        VrfSuite.P256 => EcVrfP256.PublicKeyLength,
        VrfSuite.Ed25519 => EcVrfEd25519.PublicKeyLength,
        _ => throw Unknown(suite),
    };

    public static byte[] GenerateSecretKey(VrfSuite suite) => suite switch
    {
        VrfSuite.P256 => EcVrfP256.GenerateSecretKey(),
        VrfSuite.Ed25519 => EcVrfEd25519.GenerateSecretKey(),
        _ => throw Unknown(suite),
    };

    public static byte[] PublicKey(VrfSuite suite, ReadOnlySpan<byte> secretKey) => suite switch
    {
        VrfSuite.P256 => EcVrfP256.PublicKey(secretKey),
        VrfSuite.Ed25519 => EcVrfEd25519.PublicKey(secretKey),
        _ => throw Unknown(suite),
    };

    public static byte[] Prove(VrfSuite suite, ReadOnlySpan<byte> secretKey, ReadOnlySpan<byte> alpha) => suite switch
    {
        VrfSuite.P256 => EcVrfP256.Prove(secretKey, alpha),
        VrfSuite.Ed25519 => EcVrfEd25519.Prove(secretKey, alpha),
        _ => throw Unknown(suite),
    };

    /// <summary>
    /// <see cref="Prove(VrfSuite, ReadOnlySpan{byte}, ReadOnlySpan{byte})"/> for a prover that holds its public key
    /// (<see cref="PublicKey"/> of <paramref name="secretKey"/>): Ed25519 then skips recomputing it.
    /// </summary>
    public static byte[] Prove(VrfSuite suite, ReadOnlySpan<byte> secretKey, ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> alpha) => suite switch
    {
        VrfSuite.Ed25519 => EcVrfEd25519.Prove(secretKey, publicKey, alpha),
        _ => Prove(suite, secretKey, alpha),
    };

    /// <summary>
    /// What an append needs: the map key, and a proof that may, for Ed25519, be a placeholder
    /// (<see cref="EcVrfEd25519.Evaluate"/>) that <see cref="Finish"/> completes before it leaves the server.
    /// P-256 proofs come whole.
    /// </summary>
    public static byte[] Evaluate(VrfSuite suite, ReadOnlySpan<byte> secretKey, ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> alpha, out byte[] mapKey)
    {
        if (suite == VrfSuite.Ed25519)
        {
            var placeholder = EcVrfEd25519.Evaluate(secretKey, publicKey, alpha, out var beta);
            mapKey = Truncate(beta)!;
            return placeholder;
        }

        var proof = Prove(suite, secretKey, alpha);
        mapKey = MapKey(suite, proof) ?? throw new InvalidOperationException("a fresh VRF proof has no output");
        return proof;
    }

    /// <summary>Whether <paramref name="proof"/> (from <see cref="Evaluate"/>) is whole, ready to send.</summary>
    public static bool IsFinished(VrfSuite suite, ReadOnlySpan<byte> proof) => suite != VrfSuite.Ed25519 || !EcVrfEd25519.IsUnfinished(proof);

    /// <summary>The whole proof for a proof from <see cref="Evaluate"/>; a whole one is returned as is.</summary>
    public static byte[] Finish(VrfSuite suite, ReadOnlySpan<byte> secretKey, ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> alpha, byte[] proof) =>
        IsFinished(suite, proof) ? proof : EcVrfEd25519.Finish(secretKey, publicKey, alpha, proof);

    /// <summary>The map key a proof gives (without verifying it), or null when the proof is malformed.</summary>
    public static byte[]? MapKey(VrfSuite suite, ReadOnlySpan<byte> proof) => Truncate(suite switch
    {
        VrfSuite.P256 => EcVrfP256.ProofToHash(proof),
        VrfSuite.Ed25519 => EcVrfEd25519.ProofToHash(proof),
        _ => null,
    });

    /// <summary>Verifies the proof for <paramref name="alpha"/>; the map key, or null when INVALID or of an unknown suite.</summary>
    public static byte[]? Verify(VrfSuite suite, ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> alpha, ReadOnlySpan<byte> proof) => Truncate(suite switch
    {
        VrfSuite.P256 => EcVrfP256.Verify(publicKey, alpha, proof),
        VrfSuite.Ed25519 => EcVrfEd25519.Verify(publicKey, alpha, proof),
        _ => null,
    });

    private static byte[]? Truncate(byte[]? beta) => beta is null || beta.Length == MapKeyLength ? beta : beta[..MapKeyLength];

    private static ArgumentOutOfRangeException Unknown(VrfSuite suite) => new(nameof(suite), suite, "unknown VRF suite");
}
