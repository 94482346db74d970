using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace SecureFuture.Scanning.Code.Patterns.Rules;

/// <summary>
/// SFI-CODE-108: a custom validator delegate of <c>TokenValidationParameters</c> that validates nothing: a
/// <c>SignatureValidator</c> that returns a token without checking a signature (no call to any Validate/Verify
/// method), an <c>IssuerValidator</c> that returns the issuer it was given, or an audience, lifetime or signing-key
/// validator that returns <c>true</c> unconditionally. Setting one replaces the built-in check.
/// </summary>
internal sealed class TokenValidatorBypassed : CodePattern
{
    public override IReadOnlyCollection<string> Triggers { get; } =
        ["SignatureValidator", "IssuerValidator", "AudienceValidator", "LifetimeValidator", "IssuerSigningKeyValidator"];

    public override void Inspect(SimpleNameSyntax name, PatternContext context)
    {
        if (Syntax.AssignmentTo(name) is not { } assignment || DelegateBody.Of(assignment.Right, context) is not { } body)
        {
            return;
        }

        var bypassed = name.Identifier.ValueText switch
        {
            "SignatureValidator" => body.Returns().Count > 0 && !body.CallsAValidator(),
            "IssuerValidator" => body.AlwaysReturnsParameter(0),
            _ => body.AlwaysReturnsTrue(),
        };
        if (bypassed && TokenValidationParametersSyntax.Targets(assignment, context) is { } basis)
        {
            context.Report(assignment.Right, name.Identifier.ValueText, basis);
        }
    }
}
