using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace SecureFuture.Scanning.Code.Patterns.Rules;

/// <summary>SFI-CODE-104: RSA keys shorter than 2048 bits (<c>RSA.Create(1024)</c>, <c>new RSACryptoServiceProvider(1024)</c>, <c>KeySize = 1024</c>).</summary>
internal sealed class WeakRsaKeySize : CodePattern
{
    private const int MinimumBits = 2048;
    private const string Rsa = "System.Security.Cryptography.RSA";

    public override IReadOnlyCollection<string> Triggers { get; } = ["RSA", "RSACryptoServiceProvider", "RSACng", "RSAOpenSsl", "KeySize", "dwKeySize", "keySizeInBits"];

    public override void Inspect(SimpleNameSyntax name, PatternContext context)
    {
        if (name.Identifier.ValueText == "KeySize")
        {
            InspectKeySize(name, context);
            return;
        }

        if (name.Identifier.ValueText is "dwKeySize" or "keySizeInBits")
        {
            InspectNamedSize(name, context);
            return;
        }

        if (Syntax.TypeUse(name) is not { Member: ".ctor" or "Create", Arguments.Arguments: [var size, ..] } use
            || Bits(size.Expression, context) is not { } bits || bits >= MinimumBits)
        {
            return;
        }

        if (Symbols.IsType(context.Model.GetTypeInfo(Syntax.Qualified(name)).Type, Rsa) is { } basis)
        {
            context.Report(use.Expression, Detail(bits), basis);
        }
    }

    /// <summary><c>rsa.KeySize = 1024</c> or <c>new RSACryptoServiceProvider { KeySize = 1024 }</c> on an RSA object.</summary>
    private static void InspectKeySize(SimpleNameSyntax name, PatternContext context)
    {
        if (Syntax.AssignmentTo(name) is not { } assignment || Bits(assignment.Right, context) is not { } bits || bits >= MinimumBits)
        {
            return;
        }

        var target = Syntax.Receiver(assignment) ?? Syntax.InitializedObject(assignment);
        if (target is not null && Symbols.IsTypeOf(context.Model, target, Rsa) is { } basis)
        {
            context.Report(assignment, Detail(bits), basis);
        }
    }

    /// <summary>A target-typed or named-argument constructor: <c>RSACryptoServiceProvider p = new(dwKeySize: 512)</c>.</summary>
    private static void InspectNamedSize(SimpleNameSyntax name, PatternContext context)
    {
        if (name.Parent is not NameColonSyntax { Parent: ArgumentSyntax { Parent: ArgumentListSyntax { Parent: BaseObjectCreationExpressionSyntax creation } } argument }
            || Bits(argument.Expression, context) is not { } bits || bits >= MinimumBits)
        {
            return;
        }

        if (Symbols.IsType(context.Model.GetTypeInfo(creation).Type, Rsa) is { } basis)
        {
            context.Report(creation, Detail(bits), basis);
        }
    }

    private static int? Bits(ExpressionSyntax expression, PatternContext context) =>
        expression is LiteralExpressionSyntax { Token.Value: int literal } ? literal
        : expression is IdentifierNameSyntax or MemberAccessExpressionSyntax && context.Model.GetConstantValue(expression) is { HasValue: true, Value: int bits } ? bits
        : null;

    private static string Detail(int bits) => bits.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
