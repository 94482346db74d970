using SecureFuture.Scanning.Code.Patterns.Rules;

namespace SecureFuture.Scanning.Code.Patterns;

/// <summary>Every implemented pattern, by the name a rule's <c>pattern:</c> uses.</summary>
internal static class PatternCatalog
{
    private static readonly Dictionary<string, CodePattern> ByName = new CodePattern[]
    {
        new WeakPasswordHash(),
        new WeakHashAlgorithm(),
        new WeakCipher(),
        new WeakRsaKeySize(),
        new InsecureRandomForSecret(),
        new CertificateValidationDisabled(),
        new TokenValidationDisabled(),
        new TokenValidatorBypassed(),
        new SigningKeyResolverUnfiltered(),
        new EmailClaimAsIdentity(),
        new InsecureCookie(),
        new CorsAnyOriginWithCredentials(),
        new MissingAntiforgery(),
        new DeveloperExceptionPageUnguarded(),
        new EntityMassAssignment(),
    }.ToDictionary(p => p.Name, StringComparer.Ordinal);

    public static IEnumerable<string> Names => ByName.Keys.Order(StringComparer.Ordinal);

    public static CodePattern? Find(string name) => ByName.GetValueOrDefault(name);
}
