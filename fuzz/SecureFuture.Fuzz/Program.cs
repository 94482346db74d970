using System.Globalization;
using SecureFuture.Fuzz;
using SharpFuzz;

// sfi's fuzz harness: one program, one target per parser of untrusted input (see docs/fuzzing.md).
//   list                                   the targets and what each one fuzzes
//   afl TARGET                             under afl-fuzz, over the SharpFuzz-instrumented build (fuzz/afl.sh)
//   smoke TARGET|all [--corpus DIR] [--mutations N] [--timeout S] [--findings DIR] [--seed N]
//                                          every corpus input plus N seeded mutations each target, no AFL++ (./test.sh)
//   run TARGET FILE...                     replays inputs (a crash AFL++ saved) and prints what each one does
//   seeds DIR                              writes the identity targets' signed seeds into DIR/TARGET/
const int MaxInput = 1 << 20;

if (args.Length == 0)
{
    return Usage();
}

switch (args[0])
{
    case "list":
        foreach (var t in Targets.All)
        {
            Console.WriteLine($"{t.Name,-24} {t.Parser}");
        }

        return 0;
    case "afl" when args.Length == 2 && Targets.Find(args[1]) is { } target:
        Fuzzer.Run(stream =>
        {
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            if (buffer.Length <= MaxInput)
            {
                target.Run(buffer.ToArray());
            }
        });
        return 0;
    case "run" when args.Length >= 3 && Targets.Find(args[1]) is { } target:
        {
            var status = 0;
            foreach (var file in args.Skip(2))
            {
                var failure = SmokeRunner.Execute(target, File.ReadAllBytes(file), TimeSpan.FromSeconds(30));
                Console.WriteLine($"{file}: {failure ?? "ok (accepted or refused as documented)"}");
                status |= failure is null ? 0 : 1;
            }

            return status;
        }

    case "smoke" when args.Length >= 2:
        return Smoke(args[1], args.Skip(2).ToArray());
    case "seeds" when args.Length == 2:
        foreach (var (targetName, name, input) in IdentityFixture.Seeds())
        {
            if (!name.Contains("-as-", StringComparison.Ordinal) && Targets.CheckIdentitySeed(targetName, input) is { } refused)
            {
                Console.Error.WriteLine($"fuzz: the generated seed {targetName}/{name} is refused: {refused}");
                return 1;
            }

            var folder = Directory.CreateDirectory(Path.Combine(args[1], targetName)).FullName;
            File.WriteAllText(Path.Combine(folder, name), input);
        }

        return 0;
    default:
        return Usage();
}

static int Smoke(string which, string[] options)
{
    var corpus = Option(options, "--corpus") ?? Path.Combine(AppContext.BaseDirectory, "corpus");
    var mutations = int.Parse(Option(options, "--mutations") ?? "200", CultureInfo.InvariantCulture);
    var timeout = TimeSpan.FromSeconds(double.Parse(Option(options, "--timeout") ?? "20", CultureInfo.InvariantCulture));
    var findings = Option(options, "--findings") ?? Path.Combine(Path.GetTempPath(), "sfi-fuzz-findings");
    var seed = int.Parse(Option(options, "--seed") ?? "20", CultureInfo.InvariantCulture);
    var targets = which == "all" ? Targets.All : Targets.Find(which) is { } one ? [one] : [];
    if (targets.Count == 0)
    {
        Console.Error.WriteLine($"fuzz: unknown target '{which}' (see 'list')");
        return 2;
    }

    var failed = 0;
    foreach (var target in targets)
    {
        var folder = Path.Combine(corpus, target.Name);
        var inputs = Directory.Exists(folder)
            ? Directory.GetFiles(folder).Where(f => !Path.GetFileName(f).StartsWith("README", StringComparison.Ordinal)).Order(StringComparer.Ordinal).Select(File.ReadAllBytes).ToList()
            : [];
        var outcome = SmokeRunner.Run(target, inputs, mutations, timeout, findings, seed);
        var rate = outcome.Executions / Math.Max(outcome.Elapsed.TotalSeconds, 0.001);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{target.Name,-24} {inputs.Count,4} seeds {outcome.Executions,7} execs {outcome.Elapsed.TotalSeconds,6:0.0} s {rate,8:0} exec/s  {(outcome.Finding is null ? "ok" : "FINDING")}"));
        if (outcome.Finding is not null)
        {
            Console.WriteLine("  " + outcome.Finding);
            failed++;
        }
    }

    Console.WriteLine($"fuzz smoke: {targets.Count - failed} of {targets.Count} targets clean");
    return failed == 0 ? 0 : 1;
}

static string? Option(string[] options, string name)
{
    var at = Array.IndexOf(options, name);
    return at >= 0 && at + 1 < options.Length ? options[at + 1] : null;
}

static int Usage()
{
    Console.Error.WriteLine("usage: SecureFuture.Fuzz list | afl TARGET | smoke TARGET|all [--corpus DIR] [--mutations N] [--timeout S] [--findings DIR] [--seed N] | run TARGET FILE... | seeds DIR");
    return 2;
}
