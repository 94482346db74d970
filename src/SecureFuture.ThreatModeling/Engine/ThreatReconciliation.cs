namespace SecureFuture.ThreatModeling.Engine;

/// <summary>
/// The outcome of regenerating a model against the threats it already recorded. <see cref="Current"/> is the
/// generated list with every recorded state and justification carried over by <see cref="ThreatKey"/>;
/// <see cref="New"/> are keys that were not recorded; <see cref="Resolved"/> are recorded threats whose rule no
/// longer fires on that interaction (the interaction is gone or changed).
/// </summary>
public sealed record ThreatReconciliation(IReadOnlyList<Threat> Current, IReadOnlyList<Threat> New, IReadOnlyList<Threat> Resolved)
{
    /// <summary>True when regeneration changed nothing.</summary>
    public bool IsUnchanged => New.Count == 0 && Resolved.Count == 0;

    public static ThreatReconciliation Reconcile(IEnumerable<Threat> recorded, IEnumerable<Threat> generated)
    {
        ArgumentNullException.ThrowIfNull(recorded);
        ArgumentNullException.ThrowIfNull(generated);
        var known = new Dictionary<ThreatKey, Threat>();
        foreach (var threat in recorded)
        {
            known.TryAdd(threat.Key, threat);
        }

        var current = new List<Threat>();
        var added = new List<Threat>();
        var produced = new HashSet<ThreatKey>();
        foreach (var threat in generated)
        {
            if (!produced.Add(threat.Key))
            {
                continue;
            }

            if (known.TryGetValue(threat.Key, out var before))
            {
                current.Add(threat with
                {
                    State = before.State,
                    Justification = before.Justification,
                    Severity = before.SeverityIsRated ? before.Severity : threat.Severity,
                    SeverityIsRated = before.SeverityIsRated,
                });
            }
            else
            {
                current.Add(threat);
                added.Add(threat);
            }
        }

        var resolved = known.Values.Where(t => !produced.Contains(t.Key)).ToList();
        return new ThreatReconciliation(current, added, resolved);
    }
}

/// <summary>New and resolved threats between two versions of a model.</summary>
public sealed record ThreatDiff(IReadOnlyList<Threat> New, IReadOnlyList<Threat> Resolved)
{
    public static ThreatDiff Between(IEnumerable<Threat> before, IEnumerable<Threat> after)
    {
        var r = ThreatReconciliation.Reconcile(before, after);
        return new ThreatDiff(r.New, r.Resolved);
    }

    /// <summary>Generates both models with <paramref name="generator"/> and compares the results.</summary>
    public static ThreatDiff Between(Model.ThreatModel before, Model.ThreatModel after, ThreatGenerator generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        return Between(generator.Generate(before), generator.Generate(after));
    }
}
