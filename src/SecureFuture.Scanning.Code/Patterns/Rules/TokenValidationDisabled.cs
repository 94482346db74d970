using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace SecureFuture.Scanning.Code.Patterns.Rules;

/// <summary>
/// SFI-CODE-107: a check of <c>TokenValidationParameters</c> switched off: <c>ValidateIssuer</c>, <c>ValidateAudience</c>,
/// <c>ValidateLifetime</c>, <c>ValidateIssuerSigningKey</c>, <c>RequireSignedTokens</c>, <c>RequireExpirationTime</c> or
/// <c>RequireAudience</c> set to false, in an object initializer or by assignment. Not where the project makes that
/// check itself (<see cref="TokenSelfChecks"/>): lifetime, audience and issuer checks done by the token library's own
/// handlers are the library's design, not a missing check.
/// </summary>
internal sealed class TokenValidationDisabled : CodePattern
{
    public override IReadOnlyCollection<string> Triggers { get; } =
    [
        "ValidateIssuer", "ValidateAudience", "ValidateLifetime", "ValidateIssuerSigningKey", "RequireSignedTokens",
        "RequireExpirationTime", "RequireAudience",
    ];

    public override void Inspect(SimpleNameSyntax name, PatternContext context)
    {
        // Syntax first: only a constant false assigned to the member is of interest; bind after.
        if (Syntax.AssignmentTo(name) is { } assignment
            && Syntax.IsFalse(assignment.Right, context.Model)
            && TokenValidationParametersSyntax.Targets(assignment, context) is { } basis
            && !context.Facts.TokenChecks.Covers(name.Identifier.ValueText))
        {
            context.Report(assignment, name.Identifier.ValueText, basis);
        }
    }
}
