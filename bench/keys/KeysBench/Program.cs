using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using SecureFuture.Keys;
using SecureFuture.Keys.Pkcs11;

// Usage: KeysBench DATA_DIR SECONDS THREADS
// Signs 32-byte digests with an ES256 key generated in the SoftHSM2 token of an sfi serve data directory, through
// Pkcs11Custodian (the code path the server uses), from THREADS threads for SECONDS seconds.
if (args.Length != 3)
{
    await Console.Error.WriteLineAsync("usage: KeysBench DATA_DIR SECONDS THREADS");
    return 2;
}

var seconds = double.Parse(args[1], CultureInfo.InvariantCulture);
var threads = int.Parse(args[2], CultureInfo.InvariantCulture);
using var custodian = new Pkcs11Custodian(SoftHsmToken.Prepare(args[0]));
var key = custodian.Generate(SigningAlgorithm.ES256, "bench/keys/" + Guid.NewGuid().ToString("N"));
try
{
    // Warm up (JIT, session pool, handle cache) before the clock starts.
    var warm = SHA256.HashData("warm-up"u8);
    for (var i = 0; i < 2000; i++)
    {
        custodian.SignDigest(key.HsmId, SigningAlgorithm.ES256, warm);
    }

    var stop = 0;
    var counts = new long[threads];
    var clock = Stopwatch.StartNew();
    var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
    {
        var digest = SHA256.HashData(BitConverter.GetBytes(t));
        while (Volatile.Read(ref stop) == 0)
        {
            digest[0] = (byte)counts[t];
            custodian.SignDigest(key.HsmId, SigningAlgorithm.ES256, digest);
            counts[t]++;
        }
    })).ToArray();
    foreach (var worker in workers)
    {
        worker.Start();
    }

    Thread.Sleep(TimeSpan.FromSeconds(seconds));
    Volatile.Write(ref stop, 1);
    foreach (var worker in workers)
    {
        worker.Join();
    }

    var elapsed = clock.Elapsed.TotalSeconds;
    var total = counts.Sum();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"library threads={threads} signatures={total} seconds={elapsed:F2} rate={total / elapsed:F1}"));
    return 0;
}
finally
{
    custodian.Destroy(key.HsmId);
}
