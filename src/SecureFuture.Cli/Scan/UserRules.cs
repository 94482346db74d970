using SecureFuture.Core;
using SecureFuture.Scanning.Code;
using SecureFuture.Scanning.Secrets;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace SecureFuture.Cli.Scan;

/// <summary>
/// A user's rule files (<c>--rules DIR</c>, <c>rules:</c> in <c>.sfi.yaml</c>, <c>sfi rules test DIR</c>), sorted by kind.
/// Every <c>*.yaml</c>/<c>*.yml</c> file under a directory is one rule, and its <c>id</c> says which kind: <c>SFI-SEC-…</c>
/// is a secret rule (the schema of rules/secrets/), <c>SFI-CODE-…</c> a code rule (the schema of rules/code/). Both
/// schemas require the id, so the kind never has to be guessed from the other fields. A file that says neither is a
/// problem, reported like any other malformed rule.
/// </summary>
internal sealed class UserRules
{
    /// <summary>The configuration file read at the scanned root.</summary>
    public const string ConfigFileName = ".sfi.yaml";

    private const string SecretPrefix = "SFI-SEC-";
    private const string CodePrefix = "SFI-CODE-";

    private UserRules(List<(string Source, string Yaml)> secret, List<(string Source, string Yaml)> code, List<Notification> problems)
    {
        Secret = secret;
        Code = code;
        Problems = problems;
    }

    public IReadOnlyList<(string Source, string Yaml)> Secret { get; }

    public IReadOnlyList<(string Source, string Yaml)> Code { get; }

    /// <summary>Problems found so far: files that name no kind. The catalogues add theirs when they load the files.</summary>
    public List<Notification> Problems { get; }

    /// <summary>Whether any problem is an error (a rule left out): the scan writes its output and then exits 2.</summary>
    public bool HasErrors => Problems.Any(p => p.Level == NotificationLevel.Error);

    /// <summary>
    /// The rule directories <c>--rules</c> names and the <c>rules:</c> of <c>.sfi.yaml</c> at <paramref name="scanRoot"/>
    /// (relative to it); null when there are none.
    /// </summary>
    /// <exception cref="InputException">A directory is missing, unreadable or holds no rule file; <c>.sfi.yaml</c> is malformed.</exception>
    public static UserRules? Find(string? rulesOption, string? scanRoot)
    {
        var directories = new List<(string Directory, string From)>();
        if (rulesOption is not null)
        {
            directories.Add((rulesOption, "--rules"));
        }

        if (scanRoot is not null && Path.Combine(scanRoot, ConfigFileName) is var config && File.Exists(config))
        {
            directories.AddRange(ConfiguredDirectories(config).Select(d => (d, config)));
        }

        return directories.Count == 0 ? null : Read(directories);
    }

    /// <exception cref="InputException">A directory is missing, unreadable or holds no rule file.</exception>
    public static UserRules Read(IReadOnlyList<(string Directory, string From)> directories)
    {
        var secret = new List<(string, string)>();
        var code = new List<(string, string)>();
        var problems = new List<Notification>();
        foreach (var (directory, from) in directories)
        {
            var files = RuleFiles(directory, from);
            foreach (var file in files)
            {
                var yaml = File.ReadAllText(file);
                // The top-level id line, read without parsing: a file with a syntax error still goes to its own
                // catalogue, which reports the error where it is, with the rule's schema.
                var id = YamlKeyLines.TopLevelId(yaml);
                if (id?.StartsWith(SecretPrefix, StringComparison.Ordinal) == true)
                {
                    secret.Add((file, yaml));
                }
                else if (id?.StartsWith(CodePrefix, StringComparison.Ordinal) == true)
                {
                    code.Add((file, yaml));
                }
                else
                {
                    var line = YamlKeyLines.Of(yaml)["id"];
                    problems.Add(new Notification(SecretRuleCatalog.InvalidRule, NotificationLevel.Error,
                        $"'id' must start with {SecretPrefix} (a secret rule) or {CodePrefix} (a code rule), not '{id}'; the file is not loaded")
                    {
                        Path = file,
                        Region = line is { } l ? new Region(l, 1, l, 1) : null,
                    });
                }
            }
        }

        return new UserRules(secret, code, problems);
    }

    /// <summary>The built-in secret rules with the user's; their problems join <see cref="Problems"/>.</summary>
    public SecretRuleCatalog SecretCatalog() =>
        Secret.Count == 0 ? SecretRuleCatalog.Default : SecretRuleCatalog.Default.WithUserRules(Secret, Problems);

    /// <summary>The built-in code rules with the user's; their problems join <see cref="Problems"/>.</summary>
    public CodeRuleCatalog CodeCatalog()
    {
        if (Code.Count == 0)
        {
            return CodeRuleCatalog.Default;
        }

        var problems = new List<Notification>();
        var catalog = CodeRuleCatalog.WithUserRules(Code, problems);
        // Name the rule of each problem, as the secret catalogue does, from the file's id line.
        Problems.AddRange(problems.Select(p => p.RuleId is null && Code.FirstOrDefault(f => f.Source == p.Path).Yaml is { } yaml
            ? p with { RuleId = YamlKeyLines.TopLevelId(yaml) }
            : p));
        return catalog;
    }

    /// <summary>A problem as one line of standard error: <c>file:line: RULE: message</c>.</summary>
    public static string Describe(Notification problem) =>
        $"{problem.Path}{(problem.Region is { } r ? $":{r.StartLine}" : string.Empty)}: {(problem.RuleId is { } id ? id + ": " : string.Empty)}{problem.Message}";

    private static List<string> RuleFiles(string directory, string from)
    {
        var where = from == "--rules" ? "--rules" : $"{from} (rules:)";
        if (FileKinds.Of(directory) != FileKind.Directory)
        {
            throw new InputException(directory, null, null, $"{where} takes a directory of rule files (*.yaml)");
        }

        List<string> files;
        try
        {
            // Symbolic links are not followed (a link in a shared rule directory could point anywhere), hidden files are read.
            files = [.. Directory.EnumerateFiles(directory, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint })
                .Where(f => f.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".yml", StringComparison.OrdinalIgnoreCase))
                .Order(StringComparer.Ordinal)];
            files.ForEach(f => FileKinds.RequireRegularFile(f));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InputException(directory, null, null, $"cannot read: {e.Message}", e);
        }

        if (files.Count == 0)
        {
            // Nothing read is not a pass: a mistyped directory must not silently scan with the built-in rules only.
            throw new InputException(directory, null, null, $"no rule files (*.yaml, *.yml) in the {where} directory");
        }

        return files;
    }

    /// <summary><c>rules: [dir, ...]</c> (or one string) in <c>.sfi.yaml</c>, each relative to the file's directory.</summary>
    private static List<string> ConfiguredDirectories(string config)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(File.ReadAllText(config)));
        }
        catch (YamlException e)
        {
            throw new InputException(config, e.Start.Line, e.Start.Column, e.Message, e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InputException(config, null, null, $"cannot read: {e.Message}", e);
        }

        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            throw new InputException(config, 1, 1, "expected a mapping (rules: [DIR, ...])");
        }

        var rules = root.Children.FirstOrDefault(p => p.Key is YamlScalarNode { Value: "rules" }).Value;
        var directory = Path.GetDirectoryName(Path.GetFullPath(config))!;
        IList<YamlNode> entries = rules switch
        {
            null => [],
            YamlScalarNode scalar => [scalar],
            YamlSequenceNode sequence => sequence.Children,
            _ => throw new InputException(config, rules.Start.Line, rules.Start.Column, "'rules' is a directory or a list of directories, relative to this file"),
        };
        // The file is part of the repository under scan, so it may only name directories inside it: '/' or '../..'
        // would walk (and report on) any YAML file the CI job can read.
        return [.. entries.Select(entry =>
        {
            if (entry is not YamlScalarNode { Value: { Length: > 0 } value })
            {
                throw new InputException(config, entry.Start.Line, entry.Start.Column, "each entry of 'rules' is a directory path");
            }

            var full = Path.GetFullPath(Path.Combine(directory, value));
            if (Path.IsPathRooted(value) || !full.StartsWith(directory + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            {
                throw new InputException(config, entry.Start.Line, entry.Start.Column, $"'{value}' is not a directory inside the scanned root: rules: names directories relative to {ConfigFileName}, below it");
            }

            return full;
        })];
    }
}
