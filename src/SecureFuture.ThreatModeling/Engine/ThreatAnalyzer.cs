using SecureFuture.Core;
using SecureFuture.ThreatModeling.Model;
using SecureFuture.ThreatModeling.Templates;
using SecureFuture.ThreatModeling.Tm7;
using SecureFuture.ThreatModeling.Yaml;

namespace SecureFuture.ThreatModeling.Engine;

/// <summary>A loaded model with the template its rules come from (and, for a .tm7, the document for writing back).</summary>
public sealed record LoadedModel(ThreatModel Model, KnowledgeBase Template, Tm7Document? Tm7)
{
    /// <summary>The file the template was read from (a .tb7, or a .tm7 with the template embedded); null for the default catalogue.</summary>
    public string? TemplatePath { get; init; }
}

/// <summary>The entry points the CLI needs: load any supported model, generate, reconcile.</summary>
public static class ThreatAnalyzer
{
    /// <summary>
    /// Loads a model by extension: <c>.tm7</c> (with its embedded template unless <paramref name="template"/> is
    /// given), <c>.yaml</c>/<c>.yml</c> (SecureFuture format; default catalogue unless a template is given),
    /// <c>.json</c> (OWASP Threat Dragon v2); a YAML file with <c>technical_assets</c> is read as Threagile.
    /// </summary>
    public static LoadedModel Load(string path, KnowledgeBase? template = null) => Load(path, template, templatePath: null);

    /// <summary>Loads a model with a template read from <paramref name="templatePath"/> (.tb7 or .tm7), when given.</summary>
    public static LoadedModel Load(string path, string? templatePath) =>
        Load(path, templatePath is null ? null : LoadTemplate(templatePath), templatePath);

    /// <summary>
    /// Reads a template: a <c>.tb7</c>, or the template embedded in a <c>.tm7</c> (the knowledge base the tool saved
    /// with the model, which is what the model's stencil types refer to).
    /// </summary>
    public static KnowledgeBase LoadTemplate(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        FileKinds.RequireRegularFile(path, "template file");

        return Path.GetExtension(path).Equals(".tm7", StringComparison.OrdinalIgnoreCase)
            ? Tm7Document.Load(path).Template ?? throw new InputException(path, null, null, "the .tm7 has no embedded template to use")
            : KnowledgeBaseReader.ReadTb7(path);
    }

    private static LoadedModel Load(string path, KnowledgeBase? template, string? templatePath)
    {
        var loaded = LoadAnyFormat(path, template, templatePath);
        // A file that yields no element analyses to no threats, and a gate would pass on it: a format this reader
        // does not understand must never look like a model with nothing wrong.
        if (loaded.Model.Elements.All(e => e.Kind == ElementKind.Annotation))
        {
            throw new InputException(path, null, null, "the model has no elements (external entities, processes or data stores): nothing to analyse");
        }

        return loaded;
    }

    private static LoadedModel LoadAnyFormat(string path, KnowledgeBase? template, string? templatePath)
    {
        ArgumentNullException.ThrowIfNull(path);
        var extension = Path.GetExtension(path).ToLowerInvariant();
        // A directory (sfi threatmodel analyze docs/threat-model) is named as one, whatever its name ends with.
        if (extension is ".tm7" or ".yaml" or ".yml" or ".json" || Directory.Exists(path))
        {
            FileKinds.RequireRegularFile(path);
        }

        switch (extension)
        {
            case ".tm7":
                var document = Tm7Document.Load(path);
                var t = template ?? document.Template ?? throw new InputException(path, null, null, "the model has no embedded template; give one (.tb7)");
                return new LoadedModel(document.Model, t, document) { TemplatePath = template is null ? path : templatePath };
            case ".yaml" or ".yml" when IsThreagile(path):
                return new LoadedModel(Interop.ThreagileImporter.Read(path), template ?? RuleCatalogue.Default.Template, null) { TemplatePath = templatePath };
            case ".yaml" or ".yml":
                if (template is null && YamlModelReader.ReadTemplateReference(path) is { } reference)
                {
                    templatePath = reference.Path;
                    try
                    {
                        template = LoadTemplate(reference.Path);
                    }
                    catch (InputException e)
                    {
                        throw new InputException(path, reference.Position.Line, reference.Position.Column, $"the model's template '{reference.Path}' cannot be read: {e.Message}", e);
                    }
                }

                var catalogue = template ?? RuleCatalogue.Default.Template;
                return new LoadedModel(YamlModelReader.Read(path, catalogue), catalogue, null) { TemplatePath = templatePath };
            case ".json":
                return new LoadedModel(Interop.ThreatDragonImporter.Read(path), template ?? RuleCatalogue.Default.Template, null) { TemplatePath = templatePath };
            case var _ when !File.Exists(path):
                throw new InputException(path, null, null, "file not found");
            default:
                throw new InputException(path, null, null, (extension.Length == 0 ? "no file extension to tell the model format" : $"unknown model format '{extension}'") + "; expected .yaml, .yml, .tm7 or .json (Threat Dragon)");
        }
    }

    /// <summary>
    /// A Threagile model has <c>technical_assets</c>, <c>threagile_version</c> or <c>includes</c> at the top level
    /// (a model split into files may have only the last two); SecureFuture's has <c>elements</c>.
    /// </summary>
    private static bool IsThreagile(string path)
    {
        using var reader = new StreamReader(path);
        for (var i = 0; i < 10_000 && reader.ReadLine() is { } line; i++)
        {
            if (line.StartsWith("technical_assets:", StringComparison.Ordinal) || line.StartsWith("threagile_version:", StringComparison.Ordinal)
                || line.StartsWith("includes:", StringComparison.Ordinal))
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
