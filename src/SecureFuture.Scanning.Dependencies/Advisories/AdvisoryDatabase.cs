using System.Text.Json;
using System.Text.Json.Serialization;
using SecureFuture.Core;

namespace SecureFuture.Scanning.Dependencies.Advisories;

/// <summary>The advisory database in a data directory (<c>--data-dir</c>, default <c>~/.sfi</c>): the index and the KEV catalogue.</summary>
public sealed class AdvisoryDatabase
{
    private AdvisoryDatabase(AdvisoryIndex index, KevCatalog? kev)
    {
        Index = index;
        Kev = kev;
    }

    public AdvisoryIndex Index { get; }

    /// <summary>The loaded CISA KEV catalogue, if one was imported.</summary>
    public KevCatalog? Kev { get; }

    public AdvisoryMatcher Matcher() => new(Index, Kev);

    /// <summary>The default data directory, <c>~/.sfi</c>.</summary>
    public static string DefaultDataDirectory => Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".sfi");

    public static string IndexPath(string dataDirectory) => Path.Combine(dataDirectory, "advisories.idx");

    public static string KevPath(string dataDirectory) => Path.Combine(dataDirectory, "kev.json");

    /// <summary>Opens the database; a missing or damaged index is an <see cref="InputException"/> that says how to get one.</summary>
    public static AdvisoryDatabase Open(string dataDirectory)
    {
        ArgumentNullException.ThrowIfNull(dataDirectory);
        var path = IndexPath(dataDirectory);
        if (!File.Exists(path))
        {
            throw new InputException(path, null, null, "no advisory database here: run 'sfi advisories update' (with --source FILE|DIR offline)");
        }

        AdvisoryIndex index;
        try
        {
            index = AdvisoryIndex.Read(File.ReadAllBytes(path));
        }
        catch (InvalidDataException e)
        {
            throw new InputException(path, null, null, e.Message, e);
        }

        KevCatalog? kev = null;
        var kevPath = KevPath(dataDirectory);
        if (File.Exists(kevPath))
        {
            try
            {
                var file = JsonSerializer.Deserialize(File.ReadAllBytes(kevPath), KevFileContext.Default.KevFile)
                    ?? throw new InvalidDataException("empty");
                kev = new KevCatalog(file.CatalogVersion, file.Cves);
            }
            catch (Exception e) when (e is JsonException or InvalidDataException)
            {
                throw new InputException(kevPath, null, null, $"the KEV catalogue copy is damaged ({e.Message}): run 'sfi advisories update --kev FILE|URL' again", e);
            }
        }

        return new AdvisoryDatabase(index, kev);
    }
}

/// <summary>The data directory's copy of the KEV catalogue: its version and CVE ids.</summary>
internal sealed record KevFile(string CatalogVersion, IReadOnlyList<string> Cves);

[JsonSerializable(typeof(KevFile))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class KevFileContext : JsonSerializerContext;
