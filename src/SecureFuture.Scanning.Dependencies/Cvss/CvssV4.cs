using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace SecureFuture.Scanning.Dependencies.Cvss;

/// <summary>
/// CVSS v4.0 score (FIRST CVSS v4.0 specification §8, "CVSS v4.0 Scoring"): the vector's MacroVector (EQ1..EQ6), the
/// MacroVector's score from the specification's lookup table, then the interpolation between that score and the next
/// lower MacroVectors by the vector's severity distance from the MacroVector's highest-severity vectors.
/// Threat and environmental metrics, when the vector has them, are applied as the specification says (E:X is E:A,
/// CR/IR/AR:X are H, a modified metric replaces its base metric).
/// </summary>
internal static class CvssV4
{
    private static readonly Dictionary<string, string> Allowed = new(StringComparer.Ordinal)
    {
        ["AV"] = "NALP",
        ["AC"] = "LH",
        ["AT"] = "NP",
        ["PR"] = "NLH",
        ["UI"] = "NPA",
        ["VC"] = "HLN",
        ["VI"] = "HLN",
        ["VA"] = "HLN",
        ["SC"] = "HLN",
        ["SI"] = "HLN",
        ["SA"] = "HLN",
        ["E"] = "XAPU",
        ["CR"] = "XHML",
        ["IR"] = "XHML",
        ["AR"] = "XHML",
        ["MAV"] = "XNALP",
        ["MAC"] = "XLH",
        ["MAT"] = "XNP",
        ["MPR"] = "XNLH",
        ["MUI"] = "XNPA",
        ["MVC"] = "XHLN",
        ["MVI"] = "XHLN",
        ["MVA"] = "XHLN",
        ["MSC"] = "XHLN",
        ["MSI"] = "XSHLN",
        ["MSA"] = "XSHLN",
        // Supplemental metrics never change the score (§4); U (Provider Urgency) is handled apart, its values are words.
        ["S"] = "XNP",
        ["AU"] = "XNY",
        ["R"] = "XAUI",
        ["V"] = "XDC",
        ["RE"] = "XLMH",
    };

    private static readonly string[] Base = ["AV", "AC", "AT", "PR", "UI", "VC", "VI", "VA", "SC", "SI", "SA"];
    private static readonly string[] ProviderUrgency = ["U:X", "U:Clear", "U:Green", "U:Amber", "U:Red"];

    private static readonly Lazy<Dictionary<string, double>> MacroVectorScores = new(LoadMacroVectorScores);

    // §8.2: the highest-severity vectors of each EQ level, and each level's depth (the severity distance between its
    // highest and lowest vectors, +1), in steps of 0.1.
    private static readonly string[][] Eq1Max = [["AV:N/PR:N/UI:N"], ["AV:A/PR:N/UI:N", "AV:N/PR:L/UI:N", "AV:N/PR:N/UI:P"], ["AV:P/PR:N/UI:N", "AV:A/PR:L/UI:P"]];
    private static readonly string[][] Eq2Max = [["AC:L/AT:N"], ["AC:H/AT:N", "AC:L/AT:P"]];
    private static readonly string[][] Eq4Max = [["SC:H/SI:S/SA:S"], ["SC:H/SI:H/SA:H"], ["SC:L/SI:L/SA:L"]];

    // EQ3 and EQ6 are scored together: [eq3][eq6].
    private static readonly string[]?[][] Eq3Eq6Max =
    [
        [["VC:H/VI:H/VA:H/CR:H/IR:H/AR:H"], ["VC:H/VI:H/VA:L/CR:M/IR:M/AR:H", "VC:H/VI:H/VA:H/CR:M/IR:M/AR:M"]],
        [["VC:L/VI:H/VA:H/CR:H/IR:H/AR:H", "VC:H/VI:L/VA:H/CR:H/IR:H/AR:H"], ["VC:L/VI:H/VA:L/CR:H/IR:M/AR:H", "VC:L/VI:H/VA:H/CR:H/IR:M/AR:M", "VC:H/VI:L/VA:H/CR:M/IR:H/AR:M", "VC:H/VI:L/VA:L/CR:M/IR:H/AR:H", "VC:L/VI:L/VA:H/CR:H/IR:H/AR:M"]],
        [null, ["VC:L/VI:L/VA:L/CR:H/IR:H/AR:H"]],
    ];

    private static readonly int[] Eq1Depth = [1, 4, 5];
    private static readonly int[] Eq2Depth = [1, 2];
    private static readonly int[][] Eq3Eq6Depth = [[7, 6], [8, 8], [0, 10]];
    private static readonly int[] Eq4Depth = [6, 5, 4];

    // Severity levels of each metric's values, in tenths: the distance between two vectors is the sum of differences.
    private static readonly Dictionary<string, Dictionary<char, int>> Levels = new(StringComparer.Ordinal)
    {
        ["AV"] = new() { ['N'] = 0, ['A'] = 1, ['L'] = 2, ['P'] = 3 },
        ["PR"] = new() { ['N'] = 0, ['L'] = 1, ['H'] = 2 },
        ["UI"] = new() { ['N'] = 0, ['P'] = 1, ['A'] = 2 },
        ["AC"] = new() { ['L'] = 0, ['H'] = 1 },
        ["AT"] = new() { ['N'] = 0, ['P'] = 1 },
        ["VC"] = new() { ['H'] = 0, ['L'] = 1, ['N'] = 2 },
        ["VI"] = new() { ['H'] = 0, ['L'] = 1, ['N'] = 2 },
        ["VA"] = new() { ['H'] = 0, ['L'] = 1, ['N'] = 2 },
        ["SC"] = new() { ['H'] = 1, ['L'] = 2, ['N'] = 3 },
        ["SI"] = new() { ['S'] = 0, ['H'] = 1, ['L'] = 2, ['N'] = 3 },
        ["SA"] = new() { ['S'] = 0, ['H'] = 1, ['L'] = 2, ['N'] = 3 },
        ["CR"] = new() { ['H'] = 0, ['M'] = 1, ['L'] = 2 },
        ["IR"] = new() { ['H'] = 0, ['M'] = 1, ['L'] = 2 },
        ["AR"] = new() { ['H'] = 0, ['M'] = 1, ['L'] = 2 },
    };

    private static readonly string[] ImpactMetrics = ["VC", "VI", "VA", "SC", "SI", "SA"];
    private static readonly string[] Eq1Metrics = ["AV", "PR", "UI"];
    private static readonly string[] Eq2Metrics = ["AC", "AT"];
    private static readonly string[] Eq3Eq6Metrics = ["VC", "VI", "VA", "CR", "IR", "AR"];
    private static readonly string[] Eq4Metrics = ["SC", "SI", "SA"];

    public static bool TryCompute(string vector, [NotNullWhen(true)] out CvssScore? score, [NotNullWhen(false)] out string? error)
    {
        score = null;
        var withoutUrgency = string.Join('/', vector.Split('/').Where(p => !ProviderUrgency.Contains(p, StringComparer.Ordinal)));
        if (!CvssScore.TryMetrics(withoutUrgency, Allowed, Base, out var selected, out error))
        {
            return false;
        }

        score = new CvssScore("4.0", Compute(selected), vector);
        return true;
    }

    /// <summary>The effective value of a metric (§8: defaults of threat/environmental metrics, modified metrics).</summary>
    private static char M(Dictionary<string, char> selected, string metric)
    {
        var value = selected.GetValueOrDefault(metric, 'X');
        switch (metric)
        {
            case "E" when value == 'X':
                return 'A';
            case "CR" or "IR" or "AR" when value == 'X':
                return 'H';
        }

        return selected.TryGetValue("M" + metric, out var modified) && modified != 'X' ? modified : value;
    }

    private static double Compute(Dictionary<string, char> s)
    {
        char Get(string metric) => M(s, metric);
        if (ImpactMetrics.All(metric => Get(metric) == 'N'))
        {
            return 0.0; // no impact at all
        }

        // §8.1 Equivalence sets.
        var eq1 = Get("AV") == 'N' && Get("PR") == 'N' && Get("UI") == 'N' ? 0
            : (Get("AV") == 'N' || Get("PR") == 'N' || Get("UI") == 'N') && Get("AV") != 'P' ? 1
            : 2;
        var eq2 = Get("AC") == 'L' && Get("AT") == 'N' ? 0 : 1;
        var eq3 = Get("VC") == 'H' && Get("VI") == 'H' ? 0
            : Get("VC") == 'H' || Get("VI") == 'H' || Get("VA") == 'H' ? 1
            : 2;
        var eq4 = Get("MSI") == 'S' || Get("MSA") == 'S' ? 0
            : Get("SC") == 'H' || Get("SI") == 'H' || Get("SA") == 'H' ? 1
            : 2;
        var eq5 = Get("E") switch { 'A' => 0, 'P' => 1, _ => 2 };
        var eq6 = (Get("CR") == 'H' && Get("VC") == 'H') || (Get("IR") == 'H' && Get("VI") == 'H') || (Get("AR") == 'H' && Get("VA") == 'H') ? 0 : 1;

        var value = MacroVectorScore(eq1, eq2, eq3, eq4, eq5, eq6)!.Value;

        // The next lower MacroVector of each EQ (NaN when there is none). EQ3 and EQ6 move together: 00 can go to
        // 01 or 10 (the higher of the two is taken), 01 and 10 go to 11, 11 goes to 21.
        var lowerEq1 = MacroVectorScore(eq1 + 1, eq2, eq3, eq4, eq5, eq6);
        var lowerEq2 = MacroVectorScore(eq1, eq2 + 1, eq3, eq4, eq5, eq6);
        var lowerEq3Eq6 = (eq3, eq6) switch
        {
            (0, 0) => Max(MacroVectorScore(eq1, eq2, eq3, eq4, eq5, eq6 + 1), MacroVectorScore(eq1, eq2, eq3 + 1, eq4, eq5, eq6)),
            (1, 0) => MacroVectorScore(eq1, eq2, eq3, eq4, eq5, eq6 + 1),
            (0, 1) or (1, 1) => MacroVectorScore(eq1, eq2, eq3 + 1, eq4, eq5, eq6),
            _ => MacroVectorScore(eq1, eq2, eq3 + 1, eq4, eq5, eq6 + 1),
        };
        var lowerEq4 = MacroVectorScore(eq1, eq2, eq3, eq4 + 1, eq5, eq6);
        var lowerEq5 = MacroVectorScore(eq1, eq2, eq3, eq4, eq5 + 1, eq6);

        // The severity distance from the first highest-severity vector of the MacroVector that the vector does not
        // exceed in any metric.
        Dictionary<string, int>? distances = null;
        foreach (var max in from a in Eq1Max[eq1]
                            from b in Eq2Max[eq2]
                            from c in Eq3Eq6Max[eq3][eq6]!
                            from d in Eq4Max[eq4]
                            select string.Join('/', a, b, c, d))
        {
            var maxMetrics = max.Split('/').ToDictionary(p => p[..p.IndexOf(':', StringComparison.Ordinal)], p => p[^1], StringComparer.Ordinal);
            distances = Levels.Keys.ToDictionary(k => k, k => Levels[k][Get(k)] - Levels[k][maxMetrics[k]], StringComparer.Ordinal);
            if (distances.Values.All(d => d >= 0))
            {
                break;
            }
        }

        int Distance(string[] metrics) => metrics.Sum(k => distances![k]);

        var parts = new List<double>();
        void Add(double? lower, double proportion)
        {
            if (lower is { } l)
            {
                parts.Add((value - l) * proportion);
            }
        }

        Add(lowerEq1, Distance(Eq1Metrics) / (double)Eq1Depth[eq1]);
        Add(lowerEq2, Distance(Eq2Metrics) / (double)Eq2Depth[eq2]);
        Add(lowerEq3Eq6, Distance(Eq3Eq6Metrics) / (double)Eq3Eq6Depth[eq3][eq6]);
        Add(lowerEq4, Distance(Eq4Metrics) / (double)Eq4Depth[eq4]);
        Add(lowerEq5, 0); // EQ5 (exploit maturity) has one value per level: no distance within it

        var result = Math.Clamp(value - (parts.Count == 0 ? 0 : parts.Average()), 0, 10);
        // One decimal, half away from zero; the inner rounding removes floating-point noise (8.649999999 -> 8.65).
        return Math.Round(Math.Round(result, 5) * 10, MidpointRounding.AwayFromZero) / 10;
    }

    private static double? Max(double? a, double? b) => a is null ? b : b is null ? a : Math.Max(a.Value, b.Value);

    private static double? MacroVectorScore(int eq1, int eq2, int eq3, int eq4, int eq5, int eq6) =>
        MacroVectorScores.Value.TryGetValue(string.Create(CultureInfo.InvariantCulture, $"{eq1}{eq2}{eq3}{eq4}{eq5}{eq6}"), out var v) ? v : null;

    private static Dictionary<string, double> LoadMacroVectorScores()
    {
        using var stream = typeof(CvssV4).Assembly.GetManifestResourceStream("SecureFuture.Scanning.Dependencies.Cvss.macrovectors.txt")
            ?? throw new InvalidOperationException("the CVSS v4.0 MacroVector table is not embedded");
        using var reader = new StreamReader(stream);
        var table = new Dictionary<string, double>(StringComparer.Ordinal);
        while (reader.ReadLine() is { } line)
        {
            if (line.Length > 0 && line[0] != '#')
            {
                var fields = line.Split(' ');
                table.Add(fields[0], double.Parse(fields[1], CultureInfo.InvariantCulture));
            }
        }

        return table.Count == 270 ? table : throw new InvalidOperationException($"the CVSS v4.0 MacroVector table has {table.Count} entries, not 270");
    }
}
