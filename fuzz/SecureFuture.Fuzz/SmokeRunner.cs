using System.Diagnostics;
using System.Security.Cryptography;

namespace SecureFuture.Fuzz;

/// <summary>
/// A bounded run without AFL++ (the smoke run of <c>./test.sh</c>, and replaying a crash): every corpus input, then a
/// fixed number of seeded mutations of them, each with a time limit. The first input that throws anything but the
/// parser's documented refusal, or runs past the limit, is saved and reported.
/// </summary>
internal static class SmokeRunner
{
    public sealed record Outcome(string Target, int Executions, TimeSpan Elapsed, string? Finding);

    public static Outcome Run(FuzzTarget target, IReadOnlyList<byte[]> corpus, int mutations, TimeSpan timeout, string findingsDirectory, int seed)
    {
        var watch = Stopwatch.StartNew();
        var executions = 0;
        var inputs = corpus.Count > 0 ? corpus : [[]];
        var mutator = new Mutator(seed);
        var random = new Random(seed);
        for (var i = 0; i < inputs.Count + mutations; i++)
        {
            var input = i < inputs.Count ? inputs[i] : mutator.Mutate(inputs[random.Next(inputs.Count)], inputs[random.Next(inputs.Count)]);
            executions++;
            if (Execute(target, input, timeout) is { } failure)
            {
                var saved = Save(findingsDirectory, target.Name, input);
                return new Outcome(target.Name, executions, watch.Elapsed, $"{failure}\n  input saved to {saved}");
            }
        }

        return new Outcome(target.Name, executions, watch.Elapsed, null);
    }

    /// <summary>Null when the target accepted or refused the input as documented; otherwise what went wrong.</summary>
    public static string? Execute(FuzzTarget target, byte[] input, TimeSpan timeout)
    {
        // A dedicated thread so that a hang can be told from slowness; a hung input ends the process anyway.
        Exception? thrown = null;
        var thread = new Thread(() =>
        {
            try
            {
                target.Run(input);
            }
#pragma warning disable CA1031 // Every exception that escapes a target is the finding being looked for.
            catch (Exception e)
#pragma warning restore CA1031
            {
                thrown = e;
            }
        })
        { IsBackground = true };
        thread.Start();
        if (!thread.Join(timeout))
        {
            return $"hang: no answer within {timeout.TotalSeconds:0} s";
        }

        return thrown is null ? null : $"crash: {thrown}";
    }

    private static string Save(string directory, string target, byte[] input)
    {
        var folder = Path.Combine(directory, target);
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, "crash-" + Convert.ToHexStringLower(SHA256.HashData(input))[..16]);
        File.WriteAllBytes(path, input);
        return path;
    }
}
