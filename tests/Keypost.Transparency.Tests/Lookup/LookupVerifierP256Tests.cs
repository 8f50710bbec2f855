using Keypost.Transparency.Vrf;

namespace Keypost.Transparency.Tests.Lookup;

public sealed class LookupVerifierP256Tests() : LookupVerifierTests(VrfSuite.P256);
