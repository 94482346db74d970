using SecureFuture.Core;
using SecureFuture.Testing;
using SecureFuture.ThreatModeling.Engine;

namespace SecureFuture.ThreatModeling.Tests;

/// <summary>
/// A FIFO, a device or a directory where a model, a template or an included file is expected is an input error naming
/// it: opening a FIFO for reading blocks until a writer comes, so reading one would hang `sfi threatmodel` forever.
/// </summary>
public sealed class SpecialFileInputTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
    private readonly string _dir = Directory.CreateTempSubdirectory("sfi-threatmodel-special-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("model.yaml")]
    [InlineData("model.tm7")]
    [InlineData("model.json")]
    public async Task A_fifo_given_as_the_model_is_refused_not_read(string name)
    {
        var fifo = MakeFifo(name);
        var error = await RefusedAsync(() => ThreatAnalyzer.Load(fifo));
        Assert.Contains($"{fifo}: file is a FIFO, not a regular file", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_directory_given_as_the_model_is_refused()
    {
        var directory = Directory.CreateDirectory(Path.Combine(_dir, "looks-like.yaml")).FullName;
        var error = await RefusedAsync(() => ThreatAnalyzer.Load(directory));
        Assert.Contains("is a directory, not a regular file", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("template.tb7")]
    [InlineData("template.tm7")]
    public async Task A_fifo_given_as_the_template_is_refused_not_read(string name)
    {
        var fifo = MakeFifo(name);
        var error = await RefusedAsync(() => ThreatAnalyzer.Load(TestFiles.Path("models/payments.yaml"), fifo));
        Assert.Contains($"{fifo}: template file is a FIFO, not a regular file", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_threagile_include_naming_a_fifo_is_refused_at_the_include()
    {
        var fifo = MakeFifo("assets.yaml");
        var main = Path.Combine(_dir, "main.yaml");
        await File.WriteAllTextAsync(main, "threagile_version: 1.0.0\nincludes:\n  - assets.yaml\n");
        var error = await RefusedAsync(() => ThreatAnalyzer.Load(main));
        Assert.Equal(main, error.FilePath);
        Assert.Contains($"included file '{fifo}' is a FIFO, not a regular file", error.Message, StringComparison.Ordinal);
    }

    /// <summary>Runs the load off the test thread, so a regression that blocks on the FIFO fails here instead of hanging the run.</summary>
    private static async Task<InputException> RefusedAsync(Func<object> load)
    {
        var attempt = Task.Run(load);
        var finished = await Task.WhenAny(attempt, Task.Delay(Patience));
        Assert.True(finished == attempt, $"the load did not return within {Patience.TotalSeconds} s: it is blocked reading a special file");
        return await Assert.ThrowsAsync<InputException>(() => attempt);
    }

    private string MakeFifo(string name)
    {
        var path = Path.Combine(_dir, name);
        SpecialFiles.CreateFifo(path);
        return path;
    }
}
