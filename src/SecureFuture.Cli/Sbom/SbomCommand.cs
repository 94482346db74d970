using System.CommandLine;
using SecureFuture.Core;
using SecureFuture.Scanning.Dependencies.Inventory;
using SecureFuture.Scanning.Dependencies.Sbom;

namespace SecureFuture.Cli.Sbom;

/// <summary>
/// <c>sfi sbom PATH [--format cyclonedx|spdx] [--output F]</c>: the software bill of materials of a tree (or of one
/// lock file) from its manifests and lock files. Fails closed: a tree without any manifest, a malformed lock file or
/// one of an unknown format version is exit 2 with the file:line:column, and nothing is written, because an SBOM
/// that silently lacks components would be trusted as complete. Unpinned declarations are warnings.
/// </summary>
internal static class SbomCommand
{
    internal static readonly IReadOnlyList<string> Formats = ["cyclonedx", "spdx"];

    private const int MaxWarningsShown = 20;

    public static Command Create(TextWriter stdout, TextWriter stderr, TimeProvider clock)
    {
        var path = new Argument<string>("path") { Description = "Directory (walked like sfi scan, ignore files honoured) or one manifest or lock file.", Arity = ArgumentArity.ZeroOrOne, DefaultValueFactory = _ => "." };
        var format = CliOptions.Format("SBOM format: cyclonedx (CycloneDX 1.6 JSON) or spdx (SPDX 2.3 JSON).", Formats);
        var output = CliOptions.Output();
        var name = new Option<string?>("--name") { Description = "The product's name in the SBOM (default: the directory's name)." };
        var noIgnore = new Option<bool>("--no-ignore") { Description = "Read manifests that .gitignore, .sfiignore and .git/info/exclude exclude." };
        var command = new Command("sbom", "Write a software bill of materials (CycloneDX 1.6 or SPDX 2.3 JSON) with package URLs, lock file hashes and the dependency graph, from the manifests and lock files of NuGet, npm, PyPI, Maven, Go and Cargo.")
        {
            path, format, output, name, noIgnore,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var target = parse.GetValue(path)!;
            var inventory = InventoryTree.Read(target, useIgnoreFiles: !parse.GetValue(noIgnore), cancellationToken: cancellationToken);
            // Every error; warnings (unpinned declarations) up to a screenful, then their count.
            var warnings = 0;
            foreach (var notification in inventory.Notifications.Where(n => n.Level >= NotificationLevel.Warning))
            {
                var error = notification.Level == NotificationLevel.Error;
                if (error || ++warnings <= MaxWarningsShown)
                {
                    await stderr.WriteLineAsync($"sfi: {(error ? "error" : "warning")}: {notification.Message}");
                }
            }

            if (warnings > MaxWarningsShown)
            {
                await stderr.WriteLineAsync($"sfi: ... and {warnings - MaxWarningsShown} more warnings");
            }

            if (inventory.HasErrors)
            {
                throw new InputException($"{target}: {inventory.Notifications.Count(n => n.Level == NotificationLevel.Error)} manifest(s) could not be read; no SBOM written (it would lack their components)");
            }

            if (inventory.Manifests.Count == 0)
            {
                throw new InputException(target, null, null, "no manifest or lock file found (packages.lock.json, *.csproj, package-lock.json, yarn.lock, pnpm-lock.yaml, requirements*.txt, poetry.lock, Pipfile.lock, uv.lock, pom.xml, go.mod, Cargo.lock); no SBOM written");
            }

            var full = Path.GetFullPath(target);
            var product = parse.GetValue(name) ?? Path.GetFileName(Directory.Exists(full) ? full.TrimEnd(Path.DirectorySeparatorChar) : Path.GetDirectoryName(full)!);
            var document = SbomDocument.From(inventory, string.IsNullOrEmpty(product) ? "product" : product, clock.GetUtcNow(), Guid.NewGuid(), CliApp.Version);
            Func<Stream, CancellationToken, Task> write = parse.GetValue(format) == "spdx"
                ? (stream, ct) => SpdxWriter.WriteAsync(document, stream, ct)
                : (stream, ct) => CycloneDxWriter.WriteAsync(document, stream, ct);
            await CliOutput.EmitAsync(parse.GetValue(output), stdout, write, cancellationToken);
            if (!CliOutput.IsStandardOutput(parse.GetValue(output)))
            {
                await stderr.WriteLineAsync($"sfi: wrote {parse.GetValue(output)} ({document.Components.Count} components from {inventory.Manifests.Count} manifest(s), {inventory.Unpinned.Count} unpinned)");
            }

            return ExitCodes.Success;
        });
        return command;
    }
}
