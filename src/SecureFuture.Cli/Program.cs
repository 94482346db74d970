using SecureFuture.Cli;
using SecureFuture.Core;

// The whole CLI is built in CliApp so that tests can run it in-process with their own console streams.
StartupTrace.Started();
try
{
    return await CliApp.RunAsync(args, Console.Out, Console.Error, CancellationToken.None);
}
catch (Exception e)
{
    await Console.Error.WriteLineAsync($"sfi: internal error: {e.GetType().Name}: {e.Message}");
    return ExitCodes.InternalError;
}
