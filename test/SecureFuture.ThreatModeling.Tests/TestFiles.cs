namespace SecureFuture.ThreatModeling.Tests;

internal static class TestFiles
{
    public static string Path(string name) => System.IO.Path.Combine(AppContext.BaseDirectory, "TestData", name);

    public static readonly string[] Models =
    [
        "Simple-Threat-Model_with_security_gateway.tm7",
        "Complex-Threat-Model_with_security_gateway.tm7",
        "Simple-Threat-Model_https.tm7",
    ];

    public static TheoryData<string> ModelNames()
    {
        var data = new TheoryData<string>();
        foreach (var m in Models)
        {
            data.Add(m);
        }

        return data;
    }
}
