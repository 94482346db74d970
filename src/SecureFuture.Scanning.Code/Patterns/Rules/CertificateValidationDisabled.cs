using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace SecureFuture.Scanning.Code.Patterns.Rules;

/// <summary>
/// SFI-CODE-106: TLS server certificate validation turned off: a validation callback that returns <c>true</c> whatever
/// the certificate and errors, or <c>HttpClientHandler.DangerousAcceptAnyServerCertificateValidator</c>.
/// </summary>
internal sealed class CertificateValidationDisabled : CodePattern
{
    private static readonly HashSet<string> CallbackProperties = new(StringComparer.Ordinal)
    {
        "ServerCertificateCustomValidationCallback", "ServerCertificateValidationCallback", "RemoteCertificateValidationCallback",
    };

    public override IReadOnlyCollection<string> Triggers { get; } =
        [.. CallbackProperties, "DangerousAcceptAnyServerCertificateValidator", "SslStream"];

    public override void Inspect(SimpleNameSyntax name, PatternContext context)
    {
        switch (name.Identifier.ValueText)
        {
            case "DangerousAcceptAnyServerCertificateValidator":
                if (name.Parent is MemberAccessExpressionSyntax access && access.Name == name && Syntax.IsSetting(access))
                {
                    var property = Symbols.SymbolOf(context.Model, access);
                    var basis = property is null ? MatchBasis.Name
                        : Symbols.IsType(property.ContainingType, "System.Net.Http.HttpClientHandler");
                    if (basis is { } b)
                    {
                        context.Report(access, "DangerousAcceptAnyServerCertificateValidator", b);
                    }
                }

                break;
            case "SslStream":
                // new SslStream(inner, leaveOpen, userCertificateValidationCallback: (...) => true)
                if (Syntax.TypeUse(name) is { Member: ".ctor", Arguments.Arguments: [_, _, var callback, ..] } use
                    && Symbols.IsTypeOf(context.Model, use.Expression, "System.Net.Security.SslStream") is { } sslBasis)
                {
                    ReportIfAcceptsAll(callback.Expression, "SslStream certificate callback", sslBasis, context);
                }

                break;
            default:
                // x.ServerCertificateCustomValidationCallback = ..., += ..., or { ServerCertificate...Callback = ... }
                if (Syntax.AssignmentTo(name) is { } assignment)
                {
                    ReportIfAcceptsAll(assignment.Right, name.Identifier.ValueText, MatchBasis.Name, context);
                }

                break;
        }
    }

    /// <summary>Reports the callback value when it accepts every certificate. The callback's shape decides, not its type.</summary>
    private static void ReportIfAcceptsAll(ExpressionSyntax value, string where, MatchBasis basis, PatternContext context)
    {
        if (value.WalkDownParentheses() is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "DangerousAcceptAnyServerCertificateValidator" })
        {
            return; // reported on its own trigger
        }

        if (DelegateBody.Of(value, context) is { } body && body.AlwaysReturnsTrue())
        {
            // A callback assigned to a property named for certificate validation is decided by its shape; the
            // basis is Symbol when the property resolved to a framework member.
            var decided = basis == MatchBasis.Name && value.Parent is AssignmentExpressionSyntax assignment
                && Symbols.SymbolOf(context.Model, assignment.Left) is IPropertySymbol ? MatchBasis.Symbol : basis;
            context.Report(value, where, decided);
        }
    }
}
