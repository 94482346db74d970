using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace SecureFuture.Scanning.Code.Patterns;

/// <summary>How a match was decided: on resolved symbols, or on names alone because a type could not be resolved.</summary>
internal enum MatchBasis
{
    Symbol,
    Name,
}

/// <summary>What a pattern sees while it inspects one tree for one rule: the (lazily created) semantic model, facts
/// about the whole compilation, and where to report.</summary>
internal sealed class PatternContext(CodeCompilation compilation, SyntaxTree tree, CompilationFacts facts, CodeRule rule, CodeSink sink, PatternStatistics statistics)
{
    private SemanticModel? _model;

    /// <summary>The tree's semantic model; created on first use, so trees with no trigger are never bound.</summary>
    public SemanticModel Model => _model ??= compilation.Model(tree);

    public CompilationFacts Facts => facts;

    /// <summary>The semantic model for a node of another tree of the same compilation (a method a delegate points to).</summary>
    public SemanticModel ModelOf(SyntaxNode node) => node.SyntaxTree == tree ? Model : compilation.Model(node.SyntaxTree);

    /// <summary>Reports the rule at <paramref name="at"/>, the exact expression that is wrong.</summary>
    /// <param name="detail">Replaces <c>{detail}</c> in the rule's message.</param>
    public void Report(SyntaxNode at, string detail, MatchBasis basis) => Report(at.GetLocation(), at, detail, basis);

    /// <summary>Reports at <paramref name="location"/>; <paramref name="evidence"/> is the expression that identifies the result.</summary>
    public void Report(Location location, SyntaxNode evidence, string detail, MatchBasis basis)
    {
        var message = rule.Document.Message!.Trim().Replace("{detail}", detail, StringComparison.Ordinal);
        var key = $"{rule.Id}|{ContainingMember(evidence)}|{Normalize(evidence.ToString())}";
        sink.Report(rule.Id, rule.Descriptor.DefaultSeverity, message, location, key);
        statistics.Reported(basis);
    }

    /// <summary><c>Namespace.Type.Member</c> of the declaration around a node (<c>&lt;top-level&gt;</c> for top-level statements).</summary>
    internal static string ContainingMember(SyntaxNode node)
    {
        var parts = new List<string>();
        foreach (var ancestor in node.AncestorsAndSelf())
        {
            var name = ancestor switch
            {
                MethodDeclarationSyntax m => m.Identifier.ValueText,
                ConstructorDeclarationSyntax => ".ctor",
                PropertyDeclarationSyntax p => p.Identifier.ValueText,
                IndexerDeclarationSyntax => "this[]",
                AccessorDeclarationSyntax a => a.Keyword.ValueText,
                FieldDeclarationSyntax f => string.Join(",", f.Declaration.Variables.Select(v => v.Identifier.ValueText)),
                LocalFunctionStatementSyntax l => l.Identifier.ValueText,
                GlobalStatementSyntax => "<top-level>",
                BaseTypeDeclarationSyntax t => t.Identifier.ValueText,
                BaseNamespaceDeclarationSyntax n => n.Name.ToString(),
                _ => null,
            };
            if (name is not null && (parts.Count == 0 || parts[^1] != name))
            {
                parts.Add(name);
            }
        }

        parts.Reverse();
        return string.Join('.', parts);
    }

    /// <summary>The expression's text with whitespace runs collapsed, so re-indenting does not change the key.</summary>
    private static string Normalize(string text)
    {
        var builder = new StringBuilder(text.Length);
        var space = false;
        foreach (var c in text)
        {
            if (char.IsWhiteSpace(c))
            {
                space = builder.Length > 0;
                continue;
            }

            if (space)
            {
                builder.Append(' ');
                space = false;
            }

            builder.Append(c);
        }

        return builder.ToString();
    }
}

/// <summary>Counts of one run's pattern results by how they were decided, for the names-only notification.</summary>
internal sealed class PatternStatistics
{
    private int _byName;

    public int ByName => _byName;

    public void Reported(MatchBasis basis)
    {
        if (basis == MatchBasis.Name)
        {
            Interlocked.Increment(ref _byName);
        }
    }
}
