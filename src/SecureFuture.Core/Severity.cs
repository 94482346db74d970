namespace SecureFuture.Core;

/// <summary>How much a finding matters. Ordered so that a larger value is more severe.</summary>
public enum Severity
{
    Note = 0,
    Low = 1,
    Medium = 2,
    High = 3,
    Critical = 4,
}

/// <summary>How likely a finding is to be a true positive.</summary>
public enum Confidence
{
    Low = 0,
    Medium = 1,
    High = 2,
}

public static class SeverityExtensions
{
    /// <summary>The lower-case name used on the command line and in every output format.</summary>
    public static string ToToken(this Severity severity) => severity switch
    {
        Severity.Critical => "critical",
        Severity.High => "high",
        Severity.Medium => "medium",
        Severity.Low => "low",
        Severity.Note => "note",
        _ => throw new ArgumentOutOfRangeException(nameof(severity), severity, null),
    };

    public static string ToToken(this Confidence confidence) => confidence switch
    {
        Confidence.High => "high",
        Confidence.Medium => "medium",
        Confidence.Low => "low",
        _ => throw new ArgumentOutOfRangeException(nameof(confidence), confidence, null),
    };

    /// <summary>
    /// GitHub code scanning reads <c>properties.security-severity</c> (a number from 0.0 to 10.0) and maps
    /// it back to critical (&gt;9.0), high (7.0-8.9), medium (4.0-6.9) and low (0.1-3.9).
    /// </summary>
    public static string ToSecuritySeverity(this Severity severity) => severity switch
    {
        Severity.Critical => "9.5",
        Severity.High => "8.0",
        Severity.Medium => "5.5",
        Severity.Low => "2.0",
        Severity.Note => "0.0",
        _ => throw new ArgumentOutOfRangeException(nameof(severity), severity, null),
    };

    /// <summary>SARIF §3.27.10: result.level is one of none, note, warning, error.</summary>
    public static string ToSarifLevel(this Severity severity) => severity switch
    {
        Severity.Critical or Severity.High => "error",
        Severity.Medium => "warning",
        Severity.Low or Severity.Note => "note",
        _ => throw new ArgumentOutOfRangeException(nameof(severity), severity, null),
    };

    public static bool TryParseSeverity(string? text, out Severity severity)
    {
        switch (text?.Trim().ToUpperInvariant())
        {
            case "CRITICAL": severity = Severity.Critical; return true;
            case "HIGH": severity = Severity.High; return true;
            case "MEDIUM": severity = Severity.Medium; return true;
            case "LOW": severity = Severity.Low; return true;
            case "NOTE": severity = Severity.Note; return true;
            default: severity = default; return false;
        }
    }

    public static bool TryParseConfidence(string? text, out Confidence confidence)
    {
        switch (text?.Trim().ToUpperInvariant())
        {
            case "HIGH": confidence = Confidence.High; return true;
            case "MEDIUM": confidence = Confidence.Medium; return true;
            case "LOW": confidence = Confidence.Low; return true;
            default: confidence = default; return false;
        }
    }

    public static Severity Raise(this Severity severity, int steps = 1) =>
        (Severity)Math.Clamp((int)severity + steps, (int)Severity.Note, (int)Severity.Critical);
}
