using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Keypost.Server.Acme;

/// <summary>
/// JSON Web Signatures as ACME uses them (RFC 8555 §6.2): flattened JSON serialization, ES256 (RFC 7518 §3.4:
/// ECDSA P-256 with SHA-256, the signature as the 64 bytes r||s), with either the account's JWK (new account) or
/// its URL (kid) in the protected header.
/// </summary>
public sealed class AcmeJws(ECDsa accountKey)
{
    public ECDsa AccountKey { get; } = accountKey;

    /// <summary>RFC 7517 / RFC 7518 §6.2.1: the public key as a JWK.</summary>
    public JsonObject Jwk()
    {
        var parameters = AccountKey.ExportParameters(includePrivateParameters: false);
        // RFC 7638 §3.2: members in lexicographic order, so the thumbprint below can serialise this same object.
        return new JsonObject
        {
            ["crv"] = "P-256",
            ["kty"] = "EC",
            ["x"] = Base64Url(parameters.Q.X!),
            ["y"] = Base64Url(parameters.Q.Y!),
        };
    }

    /// <summary>RFC 7638: SHA-256 over the required members, lexicographic order, no white space; base64url.</summary>
    public string Thumbprint() => Base64Url(SHA256.HashData(Encoding.UTF8.GetBytes(Jwk().ToJsonString(new JsonSerializerOptions { WriteIndented = false }))));

    /// <summary>RFC 8555 §8.1: the key authorization is the token, a dot and the account key's thumbprint.</summary>
    public string KeyAuthorization(string token) => token + "." + Thumbprint();

    /// <param name="payload">The payload; null for POST-as-GET (RFC 8555 §6.3: an empty payload).</param>
    /// <param name="kid">The account URL; null to send the JWK (only newAccount, RFC 8555 §6.2).</param>
    public string Sign(string url, string nonce, string? kid, JsonNode? payload)
    {
        var header = new JsonObject { ["alg"] = "ES256", ["nonce"] = nonce, ["url"] = url };
        if (kid is null)
        {
            header["jwk"] = Jwk();
        }
        else
        {
            header["kid"] = kid;
        }

        var protectedPart = Base64Url(Encoding.UTF8.GetBytes(header.ToJsonString()));
        var payloadPart = payload is null ? "" : Base64Url(Encoding.UTF8.GetBytes(payload.ToJsonString()));
        var signature = AccountKey.SignData(
            Encoding.ASCII.GetBytes(protectedPart + "." + payloadPart), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return new JsonObject
        {
            ["protected"] = protectedPart,
            ["payload"] = payloadPart,
            ["signature"] = Base64Url(signature),
        }.ToJsonString();
    }

    /// <summary>RFC 7515 §2: base64url without padding.</summary>
    public static string Base64Url(byte[] data) => Convert.ToBase64String(data).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
