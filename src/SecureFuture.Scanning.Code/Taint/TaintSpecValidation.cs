using System.Text.RegularExpressions;

namespace SecureFuture.Scanning.Code.Taint;

/// <summary>What <see cref="CodeRuleCatalog"/> checks in a rule's taint part, so a malformed rule fails loudly at load.</summary>
internal static class TaintSpecValidation
{
    public static void Check(TaintSpecDocument taint, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(taint.Kind) || !taint.Kind.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'))
        {
            errors.Add("taint.kind must be a lower-case name such as sql");
        }

        if (taint.Sinks.Count == 0)
        {
            errors.Add("taint.sinks must list at least one sink");
        }

        foreach (var (list, field) in new[] { (taint.Sinks, "sinks"), (taint.Sanitizers, "sanitizers"), (taint.Sources, "sources") })
        {
            for (var i = 0; i < list.Count; i++)
            {
                CheckMember(list[i], $"taint.{field}[{i}]", errors);
            }
        }
    }

    private static void CheckMember(TaintMemberDocument member, string where, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(member.Type) || member.Type.Contains(' ', StringComparison.Ordinal) || !member.Type.Contains('.', StringComparison.Ordinal))
        {
            errors.Add($"{where}: type must be a full type name such as System.Data.Common.DbCommand");
        }

        if (member.Members.Count == 0 || member.Members.Any(string.IsNullOrWhiteSpace))
        {
            errors.Add($"{where}: members must list method or property names (.ctor for constructors, this[] for indexers, * for all)");
        }

        foreach (var (pattern, field) in new[] { (member.Context, "context"), (member.WhenArgument?.Matches, "whenArgument.matches") })
        {
            if (pattern is null)
            {
                continue;
            }

            try
            {
                _ = new Regex(pattern, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
            }
            catch (ArgumentException e)
            {
                errors.Add($"{where}: {field} is not a valid regular expression: {e.Message}");
            }
        }

        if (member.ParameterTypes.Any(t => string.IsNullOrWhiteSpace(t) || t.Contains(' ', StringComparison.Ordinal) || !t.Contains('.', StringComparison.Ordinal)))
        {
            errors.Add($"{where}: parameterTypes must list full type names such as System.String");
        }

        if (member.ParameterTypesSince.Count > 0 && (member.ParameterTypes.Count == 0 || member.ParameterTypesSince.Any(p => MemberPattern.ParsePackageVersion(p) is null)))
        {
            errors.Add($"{where}: parameterTypesSince needs parameterTypes and lists packages as \"Id Version\" such as \"Microsoft.EntityFrameworkCore.Relational 2.1\"");
        }

        if (member.WhenArgument is { } when && ((when.Parameter is null && when.Index is null) || when.Matches is null))
        {
            errors.Add($"{where}: whenArgument needs a parameter (or index) and matches");
        }
    }
}
