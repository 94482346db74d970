using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace SecureFuture.Scanning.Code.Patterns.Rules;

/// <summary>SFI-CODE-103: DES, 3DES, RC2 or RC4, and any cipher in ECB mode.</summary>
internal sealed class WeakCipher : CodePattern
{
    private static readonly Dictionary<string, (string Algorithm, string FullName)> Ciphers = new(StringComparer.Ordinal)
    {
        ["DES"] = ("DES", "System.Security.Cryptography.DES"),
        ["DESCryptoServiceProvider"] = ("DES", "System.Security.Cryptography.DES"),
        ["TripleDES"] = ("3DES", "System.Security.Cryptography.TripleDES"),
        ["TripleDESCryptoServiceProvider"] = ("3DES", "System.Security.Cryptography.TripleDES"),
        ["TripleDESCng"] = ("3DES", "System.Security.Cryptography.TripleDES"),
        ["RC2"] = ("RC2", "System.Security.Cryptography.RC2"),
        ["RC2CryptoServiceProvider"] = ("RC2", "System.Security.Cryptography.RC2"),
        // .NET has no RC4; these are the common third-party names (BouncyCastle's RC4Engine), matched by name.
        ["RC4"] = ("RC4", "RC4"),
        ["RC4Engine"] = ("RC4", "Org.BouncyCastle.Crypto.Engines.RC4Engine"),
    };

    public override IReadOnlyCollection<string> Triggers { get; } = [.. Ciphers.Keys, "ECB", "EncryptEcb", "DecryptEcb"];

    public override void Inspect(SimpleNameSyntax name, PatternContext context)
    {
        var text = name.Identifier.ValueText;
        if (text == "ECB")
        {
            InspectEcbMode(name, context);
        }
        else if (text is "EncryptEcb" or "DecryptEcb")
        {
            if (Syntax.InvocationOf(name) is { } call
                && Symbols.SymbolOf(context.Model, call) is IMethodSymbol method
                && Symbols.IsType(method.ContainingType, "System.Security.Cryptography.SymmetricAlgorithm") is { } basis)
            {
                context.Report(call, "ECB mode", basis);
            }
        }
        else if (Syntax.TypeUse(name) is { Member: ".ctor" or "Create" } use)
        {
            var (algorithm, fullName) = Ciphers[text];
            var type = context.Model.GetTypeInfo(Syntax.Qualified(name)).Type;
            if (Symbols.IsType(type, fullName) is { } basis)
            {
                context.Report(use.Expression, algorithm, basis);
            }
        }
    }

    /// <summary>
    /// <c>CipherMode.ECB</c> set (assigned, passed or stored), not compared: <c>if (mode == CipherMode.ECB) throw</c> is
    /// the opposite of the mistake. BouncyCastle's <c>"AES/ECB/..."</c> transformation strings are not matched.
    /// </summary>
    private static void InspectEcbMode(SimpleNameSyntax name, PatternContext context)
    {
        if (name.Parent is not MemberAccessExpressionSyntax access || access.Name != name || Syntax.LastName(access.Expression) != "CipherMode"
            || !Syntax.IsSetting(access))
        {
            return;
        }

        var field = Symbols.SymbolOf(context.Model, access);
        var basis = field is null ? MatchBasis.Name
            : field.ContainingType is { } type && Symbols.FullName(type) == "System.Security.Cryptography.CipherMode" ? MatchBasis.Symbol
            : (MatchBasis?)null;
        if (basis is { } b)
        {
            context.Report(access, "ECB mode", b);
        }
    }
}
