namespace SecureFuture.Cli.Tests;

/// <summary>
/// A run builds only the top-level command its arguments name (start-up time): each command must be found under its
/// own name, and everything that needs the whole tree (help, version, suggestions) must still get it.
/// </summary>
public sealed class CommandTreeTests
{
    [Fact]
    public void EveryTopLevelCommand_IsBuiltAloneUnderItsOwnName()
    {
        var all = CliApp.CreateRoot(TextWriter.Null, TextWriter.Null, TimeProvider.System);
        Assert.Equal(CliApp.CommandNames, all.Subcommands.Select(c => c.Name));
        foreach (var name in CliApp.CommandNames)
        {
            var alone = CliApp.CreateRoot(TextWriter.Null, TextWriter.Null, TimeProvider.System, only: name);
            Assert.Equal([name], alone.Subcommands.Select(c => c.Name));
        }
    }

    [Fact]
    public async Task RootHelp_StillListsEveryCommand()
    {
        var (exit, stdout, _) = await CliRunner.RunAsync("--help");
        Assert.Equal(0, exit);
        Assert.All(CliApp.CommandNames, name => Assert.Contains("  " + name + " ", stdout, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_commands_own_help_is_built_from_that_command_alone()
    {
        var (exit, stdout, _) = await CliRunner.RunAsync("scan", "--help");
        Assert.Equal(0, exit);
        Assert.Contains("--analyzers", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("threatmodel", stdout, StringComparison.Ordinal);
    }
}
