namespace Keypost.Core.Abuse;

/// <summary>What a <see cref="ConnectionLimiter"/> says to a new connection.</summary>
public enum ConnectionAdmission
{
    /// <summary>Within the limits: serve it, and call <see cref="ConnectionLimiter.Leave"/> when it ends.</summary>
    Admitted,

    /// <summary>Its address holds as many connections as allowed at once.</summary>
    TooManyOpen,

    /// <summary>Its address opened as many connections as allowed in the current minute.</summary>
    TooFast,
}
