namespace Keypost.Fuzz;

/// <summary>
/// One fuzzing entry point. <see cref="Run"/> returns normally for any input the code under test refuses the way
/// it is meant to (a parse error, a BAD, a 5xx); a bug (an unexpected exception, a failed command inside a
/// session, a hang) escapes as an exception, which AFL++ and the CI run both report as a crash.
/// </summary>
public sealed record FuzzTarget(string Name, string Description, Action<byte[]> Run);
