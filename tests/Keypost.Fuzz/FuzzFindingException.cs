namespace Keypost.Fuzz;

/// <summary>A harness saw a bug that did not surface as an exception of its own (a SERVERBUG reply, a hang).</summary>
public sealed class FuzzFindingException : Exception
{
    public FuzzFindingException(string message)
        : base(message)
    {
    }

    public FuzzFindingException(string message, Exception? inner)
        : base(message, inner)
    {
    }
}
