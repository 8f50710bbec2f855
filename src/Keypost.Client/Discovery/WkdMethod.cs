namespace Keypost.Client.Discovery;

public enum WkdMethod
{
    Advanced,
    Direct,
}
