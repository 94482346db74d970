using SecureFuture.Core;

namespace SecureFuture.Findings.Tests;

public class IngestedResultTests
{
    [Fact]
    public void Results_with_the_same_fields_are_equal_so_duplicates_collapse()
    {
        var a = new IngestedResult("sfi", "secrets", "SFI-SEC-001", Severity.High, "m", "a.cs", 3, 3, "h1", "primaryLocationLineHash", [], null);
        var b = a with { Message = "other" };
        Assert.Equal(a, a with { });
        Assert.NotEqual(a, b);
    }
}
