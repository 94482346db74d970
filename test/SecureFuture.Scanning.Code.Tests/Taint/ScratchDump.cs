using SecureFuture.Scanning.Code.Taint;

namespace SecureFuture.Scanning.Code.Tests.Taint;

public sealed class ScratchDump
{
    [Fact]
    public void Dump()
    {
        var lines = new List<string>();
        foreach (var rule in TaintModel.Default.Rules)
        {
            foreach (var (example, i) in rule.Document.Examples.Vulnerable.Select((e, i) => (e, i)))
            {
                lines.Add($"=== {rule.Id} vulnerable {i}");
                lines.Add(RecordingSink.Analyze(($"src/Example{i}.cs", example)).Describe());
            }
        }

        File.WriteAllLines("/tmp/taint-dump.txt", lines);
    }
}
