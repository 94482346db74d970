using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace SecureFuture.Scanning.Code.Patterns.Rules;

/// <summary>
/// SFI-CODE-105: <c>System.Random</c> output used as a token, key, password, salt or nonce. What the value is for is
/// judged by names: the local, field or property it is stored in, the buffer <c>NextBytes</c> fills, or the method
/// that returns it. Random used for a shuffle, a jitter or a sample is left alone.
/// </summary>
internal sealed class InsecureRandomForSecret : CodePattern
{
    public override IReadOnlyCollection<string> Triggers { get; } =
        ["Next", "NextBytes", "NextInt64", "NextDouble", "NextSingle", "GetItems"];

    public override void Inspect(SimpleNameSyntax name, PatternContext context)
    {
        if (Syntax.InvocationOf(name) is not { } call || name.Parent is not MemberAccessExpressionSyntax access)
        {
            return;
        }

        var purpose = Purpose(call, name.Identifier.ValueText);
        if (purpose is null || !SecretNames.IsSecret(purpose))
        {
            return;
        }

        // Only now bind: is the receiver a System.Random (Random.Shared, new Random(), a field of that type)?
        if (Symbols.IsTypeOf(context.Model, access.Expression, "System.Random") is { } basis)
        {
            context.Report(call, purpose, basis);
        }
    }

    /// <summary>The name that says what the random value is for: the buffer filled, the variable, or the returning method.</summary>
    private static string? Purpose(InvocationExpressionSyntax call, string method)
    {
        // The buffer's name when it says what it is (resetToken); a neutral one (bytes) leaves it to the enclosing member.
        if (method == "NextBytes" && call.ArgumentList.Arguments is [var buffer] && Syntax.LastName(buffer.Expression) is { Length: > 0 } filled
            && SecretNames.IsSecret(filled))
        {
            return filled;
        }

        foreach (var ancestor in call.Ancestors())
        {
            switch (ancestor)
            {
                case VariableDeclaratorSyntax d when SecretNames.IsSecret(d.Identifier.ValueText):
                    return d.Identifier.ValueText;
                case AssignmentExpressionSyntax a when SecretNames.IsSecret(Syntax.LastName(a.Left)):
                    return Syntax.LastName(a.Left);
                case MemberDeclarationSyntax or LocalFunctionStatementSyntax:
                    return Syntax.EnclosingMemberName(call) is { Length: > 0 } member ? member : null;
            }
        }

        return null;
    }
}
