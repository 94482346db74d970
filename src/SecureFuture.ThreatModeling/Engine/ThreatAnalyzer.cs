using SecureFuture.Core;
using SecureFuture.ThreatModeling.Model;
using SecureFuture.ThreatModeling.Templates;
using SecureFuture.ThreatModeling.Tm7;
using SecureFuture.ThreatModeling.Yaml;

namespace SecureFuture.ThreatModeling.Engine;

/// <summary>A loaded model with the template its rules come from (and, for a .tm7, the document for writing back).</summary>
public sealed record LoadedModel(ThreatModel Model, KnowledgeBase Template, Tm7Document? Tm7);

/// <summary>The entry points the CLI needs: load any supported model, generate, reconcile.</summary>
public static class ThreatAnalyzer
{
    /// <summary>
    /// Loads a model by extension: <c>.tm7</c> (with its embedded template unless <paramref name="template"/> is
    /// given), <c>.yaml</c>/<c>.yml</c> (SecureFuture format; default catalogue unless a template is given),
    /// <c>.json</c> (OWASP Threat Dragon v2); a YAML file with <c>technical_assets</c> is read as Threagile.
    /// </summary>
    public static LoadedModel Load(string path, KnowledgeBase? template = null)
    {
        var loaded = LoadAnyFormat(path, template);
        // A file that yields no element analyses to no threats, and a gate would pass on it: a format this reader
        // does not understand must never look like a model with nothing wrong.
        if (loaded.Model.Elements.All(e => e.Kind == ElementKind.Annotation))
        {
            throw new InputException(path, null, null, "the model has no elements (external entities, processes or data stores): nothing to analyse");
        }

        return loaded;
    }

    private static LoadedModel LoadAnyFormat(string path, KnowledgeBase? template)
    {
        ArgumentNullException.ThrowIfNull(path);
        var extension = Path.GetExtension(path).ToLowerInvariant();
        if (extension is ".tm7" or ".yaml" or ".yml" or ".json" && !File.Exists(path))
        {
            throw new InputException(path, null, null, "file not found");
        }

        switch (extension)
        {
            case ".tm7":
                var document = Tm7Document.Load(path);
                var t = template ?? document.Template ?? throw new InputException(path, null, null, "the model has no embedded template; give one (.tb7)");
                return new LoadedModel(document.Model, t, document);
            case ".yaml" or ".yml":
                var catalogue = template ?? RuleCatalogue.Default.Template;
                return new LoadedModel(IsThreagile(path) ? Interop.ThreagileImporter.Read(path) : YamlModelReader.Read(path, catalogue), catalogue, null);
            case ".json":
                return new LoadedModel(Interop.ThreatDragonImporter.Read(path), template ?? RuleCatalogue.Default.Template, null);
            default:
                throw new InputException(path, null, null, $"unknown model format '{extension}'; expected .yaml, .yml, .tm7 or .json (Threat Dragon)");
        }
    }

    /// <summary>A Threagile model has <c>technical_assets</c> at the top level; SecureFuture's has <c>elements</c>.</summary>
    private static bool IsThreagile(string path)
    {
        using var reader = new StreamReader(path);
        for (var i = 0; i < 10_000 && reader.ReadLine() is { } line; i++)
        {
            if (line.StartsWith("technical_assets:", StringComparison.Ordinal))
            {
                return true;
            }

            if (line.StartsWith("elements:", StringComparison.Ordinal))
            {
                return false;
            }
        }

        return false;
    }

    /// <summary>Generates the model's threats and reconciles them with the ones it recorded.</summary>
    public static ThreatReconciliation Analyze(ThreatModel model, KnowledgeBase template)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(template);
        var generator = new ThreatGenerator(template);
        return ThreatReconciliation.Reconcile(model.RecordedThreats, generator.Generate(model));
    }
}
