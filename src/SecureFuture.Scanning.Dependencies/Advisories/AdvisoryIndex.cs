using System.Security.Cryptography;
using System.Text;

namespace SecureFuture.Scanning.Dependencies.Advisories;

/// <summary>
/// The compact local advisory index: every non-withdrawn OSV record of the known ecosystems, and a table from each
/// (ecosystem, normalised package name) to the records that name it. The file is read whole and checked against the
/// SHA-256 at its end (a torn or altered index is refused, never half-used); records are decoded only when a package
/// looks them up, so opening an index of 200,000 advisories costs its key table, not its records.
/// </summary>
public sealed class AdvisoryIndex
{
    private static readonly byte[] Magic = "SFI-OSV\0"u8.ToArray();
    private const int FormatVersion = 1;

    private readonly byte[] _data;
    private readonly long[] _offsets;
    private readonly OsvRecord?[] _decoded;
    private readonly Dictionary<string, int[]> _byPackage;
    private readonly Lazy<string[]> _goKeys;

    private AdvisoryIndex(IndexInfo info, byte[] data, long[] offsets, Dictionary<string, int[]> byPackage)
    {
        Info = info;
        _data = data;
        _offsets = offsets;
        _byPackage = byPackage;
        _decoded = new OsvRecord?[offsets.Length];
        _goKeys = new(() => [.. byPackage.Keys.Where(k => k.StartsWith(Ecosystems.Go + "\n", StringComparison.Ordinal)).Order(StringComparer.Ordinal)]);
    }

    public IndexInfo Info { get; }

    /// <summary>The records that concern a package (<see cref="PackageNames.Covers"/>: its name, or for Go a package of the module).</summary>
    public IReadOnlyList<OsvRecord> For(string ecosystem, string name)
    {
        ArgumentNullException.ThrowIfNull(ecosystem);
        ArgumentNullException.ThrowIfNull(name);
        var key = PackageNames.Key(ecosystem, name);
        IEnumerable<int> ordinals = _byPackage.TryGetValue(key, out var exact) ? exact : [];
        if (ecosystem == Ecosystems.Go)
        {
            ordinals = ordinals.Concat(PackagesInModule(key, name).SelectMany(k => _byPackage[k])).Distinct();
        }

        return [.. ordinals.Select(i => _decoded[i] ??= Decode(i))];
    }

    // The keys of advisories that name packages inside the module: a range of the sorted Go keys.
    private IEnumerable<string> PackagesInModule(string key, string module)
    {
        var keys = _goKeys.Value;
        var prefix = key + "/";
        var i = Array.BinarySearch(keys, prefix, StringComparer.Ordinal);
        for (i = i < 0 ? ~i : i; i < keys.Length && keys[i].StartsWith(prefix, StringComparison.Ordinal); i++)
        {
            if (PackageNames.Covers(Ecosystems.Go, module, keys[i][(Ecosystems.Go.Length + 1)..]))
            {
                yield return keys[i];
            }
        }
    }

    /// <summary>Builds an index of <paramref name="records"/> (withdrawn ones are left out and counted).</summary>
    public static AdvisoryIndex Build(IEnumerable<OsvRecord> records, DateTimeOffset importedAt, IReadOnlyList<string> sources)
    {
        using var buffer = new MemoryStream();
        Write(records, importedAt, sources, buffer);
        return Read(buffer.ToArray());
    }

    /// <summary>Writes the index of <paramref name="records"/> to <paramref name="output"/>.</summary>
    public static IndexInfo Write(IEnumerable<OsvRecord> records, DateTimeOffset importedAt, IReadOnlyList<string> sources, Stream output)
    {
        ArgumentNullException.ThrowIfNull(records);
        ArgumentNullException.ThrowIfNull(sources);
        ArgumentNullException.ThrowIfNull(output);
        var withdrawn = 0;
        var kept = new List<OsvRecord>();
        foreach (var record in records)
        {
            if (record.Withdrawn)
            {
                withdrawn++;
            }
            else
            {
                kept.Add(record);
            }
        }

        var byPackage = new SortedDictionary<string, List<int>>(StringComparer.Ordinal);
        using var body = new MemoryStream();
        var offsets = new long[kept.Count];
        using (var w = new BinaryWriter(body, Encoding.UTF8, leaveOpen: true))
        {
            for (var i = 0; i < kept.Count; i++)
            {
                offsets[i] = body.Position;
                Encode(w, kept[i]);
                foreach (var key in kept[i].Affected.Select(a => PackageNames.Key(a.Ecosystem, a.Name)).Distinct(StringComparer.Ordinal))
                {
                    if (!byPackage.TryGetValue(key, out var list))
                    {
                        byPackage[key] = list = [];
                    }

                    list.Add(i);
                }
            }
        }

        var info = new IndexInfo(importedAt, sources, kept.Count, withdrawn, byPackage.Count);
        using var whole = new MemoryStream();
        using (var w = new BinaryWriter(whole, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Magic);
            w.Write(FormatVersion);
            w.Write(importedAt.UtcTicks);
            w.Write(sources.Count);
            foreach (var source in sources)
            {
                w.Write(source);
            }

            w.Write(kept.Count);
            w.Write(withdrawn);
            w.Write(byPackage.Count);
            foreach (var (key, ordinals) in byPackage)
            {
                w.Write(key);
                w.Write(ordinals.Count);
                ordinals.ForEach(w.Write);
            }

            foreach (var offset in offsets)
            {
                w.Write(offset);
            }

            w.Write(body.Length);
            w.Flush();
            body.Position = 0;
            body.CopyTo(whole);
            w.Write(SHA256.HashData(whole.GetBuffer().AsSpan(0, (int)whole.Length)));
        }

        whole.Position = 0;
        whole.CopyTo(output);
        return info;
    }

    /// <summary>Reads an index written by <see cref="Write"/>; a damaged, truncated or foreign file is an <see cref="InvalidDataException"/>.</summary>
    public static AdvisoryIndex Read(byte[] data)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.Length < Magic.Length + 32 || !data.AsSpan(0, Magic.Length).SequenceEqual(Magic))
        {
            throw new InvalidDataException("not an sfi advisory index");
        }

        var content = data.AsSpan(0, data.Length - 32);
        if (!SHA256.HashData(content).AsSpan().SequenceEqual(data.AsSpan(data.Length - 32)))
        {
            throw new InvalidDataException("the advisory index is damaged (its checksum does not match): run 'sfi advisories update' again");
        }

        try
        {
            using var r = new BinaryReader(new MemoryStream(data, 0, data.Length - 32, writable: false), Encoding.UTF8);
            r.ReadBytes(Magic.Length);
            if (r.ReadInt32() is var version && version != FormatVersion)
            {
                throw new InvalidDataException($"advisory index format {version} is not supported here (expected {FormatVersion}): run 'sfi advisories update' again");
            }

            var importedAt = new DateTimeOffset(r.ReadInt64(), TimeSpan.Zero);
            var sources = new string[r.ReadInt32()];
            for (var i = 0; i < sources.Length; i++)
            {
                sources[i] = r.ReadString();
            }

            var count = r.ReadInt32();
            var withdrawn = r.ReadInt32();
            var packages = r.ReadInt32();
            var byPackage = new Dictionary<string, int[]>(packages, StringComparer.Ordinal);
            for (var i = 0; i < packages; i++)
            {
                var key = r.ReadString();
                var ordinals = new int[r.ReadInt32()];
                for (var j = 0; j < ordinals.Length; j++)
                {
                    ordinals[j] = r.ReadInt32();
                }

                byPackage.Add(key, ordinals);
            }

            var offsets = new long[count];
            for (var i = 0; i < count; i++)
            {
                offsets[i] = r.ReadInt64();
            }

            var bodyLength = r.ReadInt64();
            var bodyStart = r.BaseStream.Position;
            if (bodyStart + bodyLength != content.Length)
            {
                throw new InvalidDataException("the advisory index is truncated");
            }

            for (var i = 0; i < count; i++)
            {
                offsets[i] += bodyStart;
            }

            return new AdvisoryIndex(new IndexInfo(importedAt, sources, count, withdrawn, packages), data, offsets, byPackage);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException("the advisory index is truncated", e);
        }
    }

    private OsvRecord Decode(int ordinal)
    {
        using var r = new BinaryReader(new MemoryStream(_data, (int)_offsets[ordinal], _data.Length - (int)_offsets[ordinal], writable: false), Encoding.UTF8);
        return new OsvRecord(
            r.ReadString(),
            ReadStrings(r),
            r.ReadString(),
            r.ReadInt64() is var ticks && ticks < 0 ? null : new DateTimeOffset(ticks, TimeSpan.Zero),
            Withdrawn: false,
            ReadList(r, () => new OsvSeverity(r.ReadString(), r.ReadString())),
            r.ReadString() is { Length: > 0 } s ? s : null,
            ReadList(r, () => new OsvAffected(
                r.ReadString(),
                r.ReadString(),
                ReadList(r, () => new OsvRange(r.ReadString(), ReadList(r, () => new OsvEvent((OsvEventKind)r.ReadByte(), r.ReadString())))),
                ReadStrings(r))));
    }

    private static void Encode(BinaryWriter w, OsvRecord record)
    {
        w.Write(record.Id);
        WriteStrings(w, record.Aliases);
        w.Write(record.Summary);
        w.Write(record.Modified?.UtcTicks ?? -1);
        WriteList(w, record.Severity, s =>
        {
            w.Write(s.Type);
            w.Write(s.Score);
        });
        w.Write(record.DatabaseSeverity ?? "");
        WriteList(w, record.Affected, a =>
        {
            w.Write(a.Ecosystem);
            w.Write(a.Name);
            WriteList(w, a.Ranges, range =>
            {
                w.Write(range.Type);
                WriteList(w, range.Events, e =>
                {
                    w.Write((byte)e.Kind);
                    w.Write(e.Version);
                });
            });
            WriteStrings(w, a.Versions);
        });
    }

    private static void WriteList<T>(BinaryWriter w, IReadOnlyList<T> items, Action<T> write)
    {
        w.Write(items.Count);
        foreach (var item in items)
        {
            write(item);
        }
    }

    private static void WriteStrings(BinaryWriter w, IReadOnlyList<string> items) => WriteList(w, items, w.Write);

    private static T[] ReadList<T>(BinaryReader r, Func<T> read)
    {
        var items = new T[r.ReadInt32()];
        for (var i = 0; i < items.Length; i++)
        {
            items[i] = read();
        }

        return items;
    }

    private static string[] ReadStrings(BinaryReader r) => ReadList(r, r.ReadString);
}

/// <summary>What an index holds and when it was imported (every report shows the date).</summary>
public sealed record IndexInfo(DateTimeOffset ImportedAt, IReadOnlyList<string> Sources, int Advisories, int Withdrawn, int Packages)
{
    /// <summary>An index older than this is stale: reports say so.</summary>
    public static TimeSpan StaleAfter { get; } = TimeSpan.FromDays(7);

    /// <summary>A warning when the index is older than <see cref="StaleAfter"/>, otherwise null.</summary>
    public string? StalenessWarning(DateTimeOffset now) =>
        now - ImportedAt > StaleAfter
            ? $"the advisory database was imported on {ImportedAt:yyyy-MM-dd} ({(int)(now - ImportedAt).TotalDays} days ago): vulnerabilities published since then are not reported; run 'sfi advisories update'"
            : null;
}
