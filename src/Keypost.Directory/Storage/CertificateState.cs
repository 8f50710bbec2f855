namespace Keypost.Directory.Storage;

public enum CertificateState
{
    /// <summary>Served for its address (a revoked current certificate is served so holders learn of the revocation).</summary>
    Current,

    /// <summary>Superseded by a newer publication; kept as history.</summary>
    Replaced,

    /// <summary>Taken down by the domain (account removed); kept as history.</summary>
    Withdrawn,
}
