using System.Diagnostics.CodeAnalysis;

namespace SecureFuture.Scanning.Dependencies.Cvss;

/// <summary>CVSS v3.0/v3.1 base score (CVSS v3.1 specification §7.1 and Appendix A for Roundup).</summary>
internal static class CvssV3
{
    private static readonly Dictionary<string, string> Allowed = new(StringComparer.Ordinal)
    {
        ["AV"] = "NALP",
        ["AC"] = "LH",
        ["PR"] = "NLH",
        ["UI"] = "NR",
        ["S"] = "UC",
        ["C"] = "HLN",
        ["I"] = "HLN",
        ["A"] = "HLN",
        // Temporal and environmental metrics may be present; they do not change the base score.
        ["E"] = "XUPFH",
        ["RL"] = "XOTWU",
        ["RC"] = "XURC",
        ["CR"] = "XLMH",
        ["IR"] = "XLMH",
        ["AR"] = "XLMH",
        ["MAV"] = "XNALP",
        ["MAC"] = "XLH",
        ["MPR"] = "XNLH",
        ["MUI"] = "XNR",
        ["MS"] = "XUC",
        ["MC"] = "XHLN",
        ["MI"] = "XHLN",
        ["MA"] = "XHLN",
    };

    private static readonly string[] Base = ["AV", "AC", "PR", "UI", "S", "C", "I", "A"];

    public static bool TryCompute(string vector, [NotNullWhen(true)] out CvssScore? score, [NotNullWhen(false)] out string? error)
    {
        score = null;
        if (!CvssScore.TryMetrics(vector, Allowed, Base, out var m, out error))
        {
            return false;
        }

        var changed = m["S"] == 'C';
        var iss = 1 - ((1 - Cia(m["C"])) * (1 - Cia(m["I"])) * (1 - Cia(m["A"])));
        var impact = changed ? (7.52 * (iss - 0.029)) - (3.25 * Math.Pow(iss - 0.02, 15)) : 6.42 * iss;
        var av = m["AV"] switch { 'N' => 0.85, 'A' => 0.62, 'L' => 0.55, _ => 0.2 };
        var ac = m["AC"] == 'L' ? 0.77 : 0.44;
        var pr = m["PR"] switch { 'N' => 0.85, 'L' => changed ? 0.68 : 0.62, _ => changed ? 0.5 : 0.27 };
        var ui = m["UI"] == 'N' ? 0.85 : 0.62;
        var exploitability = 8.22 * av * ac * pr * ui;
        var v31 = vector.StartsWith("CVSS:3.1/", StringComparison.Ordinal);
        var value = impact <= 0 ? 0
            : Roundup(Math.Min((changed ? 1.08 : 1) * (impact + exploitability), 10), v31);
        score = new CvssScore(v31 ? "3.1" : "3.0", value, vector);
        return true;
    }

    private static double Cia(char v) => v switch { 'H' => 0.56, 'L' => 0.22, _ => 0 };

    // v3.1 Appendix A: round up to one decimal on an integer representation, so that 4.000000000000001 is 4.0
    // (v3.0's plain ceiling gave 4.1 for such floating-point noise).
    private static double Roundup(double x, bool v31)
    {
        if (!v31)
        {
            return Math.Ceiling(x * 10) / 10;
        }

        var i = (long)Math.Round(x * 100000);
        return i % 10000 == 0 ? i / 100000.0 : (Math.Floor(i / 10000.0) + 1) / 10.0;
    }
}
