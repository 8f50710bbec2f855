namespace Keypost.Transparency.Tests;

/// <summary>Vectors copied beside the test assembly from tests/testdata (see each folder's SOURCE.md).</summary>
internal static class TestData
{
    public static string Path(params string[] parts) => System.IO.Path.Combine([AppContext.BaseDirectory, "testdata", .. parts]);
}
