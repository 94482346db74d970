using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace SecureFuture.Scanning.Code.Patterns;

/// <summary>
/// One semantic pattern: the C# half of a rule whose YAML says <c>pattern: &lt;Name&gt;</c>. A pattern names the
/// identifiers that can start a match (<see cref="Triggers"/>); <see cref="PatternCheck"/> walks each tree once and
/// hands it only those names, so a pattern filters by syntax first and binds (the expensive part) only what is left.
/// </summary>
internal abstract class CodePattern
{
    /// <summary>The name a rule's <c>pattern:</c> refers to: the class name.</summary>
    public string Name => GetType().Name;

    /// <summary>Identifier texts (type, member or attribute names) at which a match can start.</summary>
    public abstract IReadOnlyCollection<string> Triggers { get; }

    /// <summary>Looks at one occurrence of a trigger name and reports through <paramref name="context"/>.</summary>
    public abstract void Inspect(SimpleNameSyntax name, PatternContext context);
}
