using Keypost.Transparency.Vrf;

namespace Keypost.Transparency.Tests.Lookup;

public sealed class LookupVerifierEd25519Tests() : LookupVerifierTests(VrfSuite.Ed25519);
