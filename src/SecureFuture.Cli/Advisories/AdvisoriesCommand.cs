using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using SecureFuture.Core;
using SecureFuture.Scanning.Dependencies.Advisories;

namespace SecureFuture.Cli.Advisories;

/// <summary><c>sfi advisories update|status</c>: the local OSV advisory database that dependency scanning matches against.</summary>
internal static class AdvisoriesCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr, TimeProvider clock) => new("advisories", "The local database of known vulnerabilities (OSV advisories and the CISA KEV catalogue) that dependency scanning uses.")
    {
        Update(stdout, clock),
        Status(stdout, stderr, clock),
    };

    private static Option<string> DataDirOption() => new("--data-dir")
    {
        Description = "Data directory that holds the advisory index (advisories.idx) and the KEV catalogue (kev.json).",
        DefaultValueFactory = _ => AdvisoryDatabase.DefaultDataDirectory,
        HelpName = "dir",
    };

    private static Command Update(TextWriter stdout, TimeProvider clock)
    {
        var sources = new Option<string[]>("--source")
        {
            Description = "OSV records to import: an all.zip archive (file or http(s) URL), a directory of .json/.yaml records, or one record file; repeatable (default: OSV's all.zip of NuGet, npm, PyPI, Maven, Go and crates.io).",
            HelpName = "url|file|dir",
            Arity = ArgumentArity.OneOrMore,
        };
        var dataDir = DataDirOption();
        var kev = new Option<string?>("--kev") { Description = "The CISA Known Exploited Vulnerabilities catalogue (its JSON feed, file or URL): advisories of its CVEs are marked kev.", HelpName = "file|url" };
        var update = new Command("update", "Import advisories into the local index, replacing it atomically: a corrupt, truncated or hostile source is refused and the previous index kept.") { sources, dataDir, kev };
        update.SetAction(async (parse, cancellationToken) =>
        {
            var directory = parse.GetValue(dataDir)!;
            var chosen = parse.GetValue(sources) is { Length: > 0 } given ? given : [.. AdvisoryImporter.DefaultSources];
            using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(10) };
            http.DefaultRequestHeaders.UserAgent.ParseAdd($"sfi/{CliApp.Version}");
            try
            {
                if (parse.GetValue(kev) is { } kevSource)
                {
                    var catalogue = await AdvisoryImporter.ImportKevAsync(kevSource, directory, http, cancellationToken);
                    await stdout.WriteLineAsync($"KEV catalogue {catalogue.CatalogVersion}: {catalogue.Count} CVEs");
                }

                var result = await AdvisoryImporter.ImportAsync(chosen, directory, clock, http, cancellationToken: cancellationToken);
                var info = result.Info;
                await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"imported {info.Advisories} advisories for {info.Packages} packages ({info.Withdrawn} withdrawn left out, {result.Duplicates} duplicates) from {chosen.Length} source(s) into {result.IndexPath} on {info.ImportedAt:yyyy-MM-dd HH:mm} UTC"));
            }
            catch (AdvisoryImportException e)
            {
                throw new InputException($"{e.Message}; the previous advisory database is kept", e);
            }

            return ExitCodes.Success;
        });
        return update;
    }

    private static Command Status(TextWriter stdout, TextWriter stderr, TimeProvider clock)
    {
        var dataDir = DataDirOption();
        var format = CliOptions.Format("text or json.", ["text", "json"]);
        var status = new Command("status", "Show what the local advisory database holds and when it was imported (with a warning when that is more than 7 days ago).") { dataDir, format };
        status.SetAction(async (parse, cancellationToken) =>
        {
            var database = AdvisoryDatabase.Open(parse.GetValue(dataDir)!);
            var info = database.Index.Info;
            var warning = info.StalenessWarning(clock.GetUtcNow());
            if (parse.GetValue(format) == "json")
            {
                var json = new JsonObject
                {
                    ["importedAt"] = info.ImportedAt.ToString("O", CultureInfo.InvariantCulture),
                    ["advisories"] = info.Advisories,
                    ["withdrawn"] = info.Withdrawn,
                    ["packages"] = info.Packages,
                    ["sources"] = new JsonArray([.. info.Sources.Select(s => (JsonNode)s)]),
                    ["kev"] = database.Kev is { } k ? new JsonObject { ["catalogVersion"] = k.CatalogVersion, ["cves"] = k.Count } : null,
                    ["warning"] = warning,
                };
                await stdout.WriteLineAsync(json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            }
            else
            {
                await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"advisories: {info.Advisories} for {info.Packages} packages ({info.Withdrawn} withdrawn left out)"));
                await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"imported:   {info.ImportedAt:yyyy-MM-dd HH:mm} UTC"));
                await stdout.WriteLineAsync($"sources:    {string.Join(", ", info.Sources)}");
                await stdout.WriteLineAsync(database.Kev is { } k ? $"kev:        catalogue {k.CatalogVersion}, {k.Count} CVEs" : "kev:        none loaded (sfi advisories update --kev FILE|URL)");
            }

            if (warning is not null)
            {
                await stderr.WriteLineAsync($"sfi: warning: {warning}");
            }

            return ExitCodes.Success;
        });
        return status;
    }
}
