using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace SecureFuture.Scanning.Code.Taint;

/// <summary>What each member of a returned object carries: <see cref="Members"/> by name, <see cref="Others"/> for any member not named.</summary>
internal sealed record ObjectMembers(IReadOnlyDictionary<string, TaintSet> Members, TaintSet Others);

/// <summary>
/// Object-level taint of what a summarised method returns, when it builds the object in a local and returns that
/// local (<c>var result = new Result(); ... result.RedirectUri = checkedUrl; ... result.ViewModel = model; return result;</c>).
/// Without it a caller sees one taint for the whole object, and <c>Redirect(result.RedirectUri)</c> is reported because
/// another member carries request data. Per member, flow-insensitively: a member carries everything ever stored into
/// it plus whatever the local was assigned as a whole. Nothing member-level is claimed when the local escapes (is
/// passed, aliased, captured by reference, or has a method called on it or on one of its members), when a tainted
/// value is returned any other way, or when a returned local was not declared in the body.
/// </summary>
internal sealed class ReturnedMembers
{
    private readonly Dictionary<string, TaintSet> _whole = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Dictionary<string, TaintSet>> _stores = new(StringComparer.Ordinal);
    private readonly HashSet<string> _returned = new(StringComparer.Ordinal);
    private bool _unknown;

    /// <summary>The local was assigned as a whole (declared, assigned, bound by a pattern).</summary>
    public void Assigned(string local, TaintSet value) =>
        _whole[local] = TaintSet.Union(_whole.GetValueOrDefault(local) ?? TaintSet.Empty, value);

    /// <summary>A value was stored into the local's member (<c>local.Member = value</c>, or deeper: <c>local.Member.X = value</c>).</summary>
    public void Stored(string local, string member, TaintSet value)
    {
        if (!_stores.TryGetValue(local, out var members))
        {
            _stores[local] = members = new Dictionary<string, TaintSet>(StringComparer.Ordinal);
        }

        members[member] = TaintSet.Union(members.GetValueOrDefault(member) ?? TaintSet.Empty, value);
    }

    /// <summary>A <c>return</c> of the method itself (not of a lambda it contains).</summary>
    public void Returned(ExpressionSyntax? expression, TaintSet value)
    {
        while (expression is ParenthesizedExpressionSyntax p)
        {
            expression = p.Expression;
        }

        if (expression is IdentifierNameSyntax id)
        {
            _returned.Add(id.Identifier.ValueText);
        }
        else if (!value.IsEmpty)
        {
            _unknown = true;
        }
    }

    /// <summary>The members of the returned object, or null when they cannot be told apart soundly.</summary>
    public ObjectMembers? Result(SyntaxNode body)
    {
        if (_unknown || _returned.Count == 0 || _returned.Any(local => !_whole.ContainsKey(local) || Escapes(body, local)))
        {
            return null;
        }

        var others = _returned.Aggregate(TaintSet.Empty, (all, local) => TaintSet.Union(all, _whole[local]));
        var members = new Dictionary<string, TaintSet>(StringComparer.Ordinal);
        foreach (var local in _returned)
        {
            foreach (var (member, stored) in _stores.GetValueOrDefault(local) ?? [])
            {
                members[member] = TaintSet.Union(members.GetValueOrDefault(member) ?? others, stored);
            }
        }

        return new ObjectMembers(members, others);
    }

    /// <summary>
    /// Whether the local is used other than by reading or storing its members, assigning it, or returning it: anything
    /// else (an argument, an alias, a method called on it or its members, a <c>ref</c>, a capture) could write members unseen.
    /// </summary>
    private static bool Escapes(SyntaxNode body, string local)
    {
        foreach (var id in body.DescendantNodes().OfType<IdentifierNameSyntax>())
        {
            if (id.Identifier.ValueText != local)
            {
                continue;
            }

            // Captured by a lambda or local function, it may be written whenever that runs.
            if (id.Ancestors().TakeWhile(a => a != body).Any(a => a is AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax))
            {
                return true;
            }

            switch (id.Parent)
            {
                case ReturnStatementSyntax:
                case AssignmentExpressionSyntax a when a.Left == id && a.IsKind(SyntaxKind.SimpleAssignmentExpression):
                    continue;
                case ParenthesizedExpressionSyntax { Parent: ReturnStatementSyntax }:
                    continue;
                case MemberAccessExpressionSyntax m when m.Expression == id:
                    // The top of the chain local.A.B[...]: called, or passed by reference, it may be written unseen.
                    ExpressionSyntax top = m;
                    while (top.Parent is MemberAccessExpressionSyntax outer && outer.Expression == top
                        || top.Parent is ElementAccessExpressionSyntax element && element.Expression == top)
                    {
                        top = (ExpressionSyntax)top.Parent;
                    }

                    if (top.Parent is InvocationExpressionSyntax call && call.Expression == top
                        || top.Parent is ArgumentSyntax { RefKindKeyword.RawKind: not 0 })
                    {
                        return true;
                    }

                    continue;
                default:
                    return true;
            }
        }

        return false;
    }
}
