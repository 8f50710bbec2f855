using Keypost.Core.Addresses;
using Keypost.LocalServe;
using Keypost.Testing.Beds;

namespace Keypost.Server.Tests.AtRest;

/// <summary>
/// The at-rest tests' domain, described once for the test bed: jedi.test alone, where Luke, Han and Leia have
/// mailboxes; messages go in over real SMTP and are read back from the Maildir files.
/// </summary>
public static class AtRestBed
{
    public const string Password = "use the force";

    public static EmailAddress Luke { get; } = EmailAddress.Parse("luke@jedi.test");

    public static EmailAddress Han { get; } = EmailAddress.Parse("han@jedi.test");

    public static EmailAddress Leia { get; } = EmailAddress.Parse("leia@jedi.test");

    public static LocalDomainOptions Options { get; } = TestBed.Alone with
    {
        Accounts = new Dictionary<string, string> { [Luke.ToString()] = Password, [Han.ToString()] = Password, [Leia.ToString()] = Password },
    };
}
