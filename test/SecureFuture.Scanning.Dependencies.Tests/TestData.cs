namespace SecureFuture.Scanning.Dependencies.Tests;

/// <summary>Where the committed test data lives (copied beside the test assembly).</summary>
internal static class TestData
{
    public static string Root { get; } = Path.Combine(AppContext.BaseDirectory, "TestData");

    /// <summary>The GitHub Advisory Database records (CC-BY-4.0; see TestData/advisories/README.md).</summary>
    public static string Ghsa { get; } = Path.Combine(Root, "advisories", "ghsa");

    /// <summary>A selection of the Python Packaging Advisory Database (CC-BY-4.0; see TestData/advisories/README.md).</summary>
    public static string Pypa { get; } = Path.Combine(Root, "advisories", "pypa");
}
