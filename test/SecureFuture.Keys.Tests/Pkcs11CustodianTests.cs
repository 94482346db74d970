using System.Security.Cryptography;
using System.Text;
using Net.Pkcs11Interop.Common;
using SecureFuture.Keys.Pkcs11;
using SecureFuture.Testing;

namespace SecureFuture.Keys.Tests;

[Collection(HsmGroup.Name)]
[Trait("Category", "Integration")]
public sealed class Pkcs11CustodianTests(HsmFixture hsm)
{
    public static TheoryData<string> Algorithms => new() { "ES256", "ES384", "PS256", "RS256", "PS256-3072", "RS256-3072" };

    [Theory]
    [MemberData(nameof(Algorithms))]
    public void Generates_in_the_token_and_signs_what_dotnet_verifies(string id)
    {
        var algorithm = SigningAlgorithm.FromId(id);
        var key = hsm.Custodian.Generate(algorithm, $"test/{id}/{Guid.NewGuid():N}");
        try
        {
            var digest = algorithm.HashData("the message"u8);
            var signature = hsm.Custodian.SignDigest(key.HsmId, algorithm, digest);

            Assert.Equal(algorithm.SignatureLength, signature.Length);
            Assert.True(key.PublicKey.VerifyDigest(digest, signature));
            Assert.False(key.PublicKey.VerifyDigest(algorithm.HashData("another message"u8), signature));

            // An independent verifier: .NET's own RSA/ECDsa built from the JWK the service publishes.
            var jwk = key.PublicKey.ToJwk("k");
            if (algorithm.Family == KeyFamily.EllipticCurve)
            {
                using var ec = ECDsa.Create(new ECParameters
                {
                    Curve = algorithm.KeySizeBits == 384 ? ECCurve.NamedCurves.nistP384 : ECCurve.NamedCurves.nistP256,
                    Q = new ECPoint { X = Base64Url.Decode((string)jwk["x"]!), Y = Base64Url.Decode((string)jwk["y"]!) },
                });
                Assert.True(ec.VerifyHash(digest, signature));
            }
            else
            {
                using var rsa = RSA.Create(new RSAParameters { Modulus = Base64Url.Decode((string)jwk["n"]!), Exponent = Base64Url.Decode((string)jwk["e"]!) });
                Assert.Equal(algorithm.KeySizeBits, rsa.KeySize);
                Assert.True(rsa.VerifyHash(digest, signature, HashAlgorithmName.SHA256, algorithm.Name == "PS256" ? RSASignaturePadding.Pss : RSASignaturePadding.Pkcs1));
            }

            Assert.Equal(key.PublicKey.Thumbprint(), hsm.Custodian.FindPublicKey(key.HsmId, algorithm)!.Thumbprint());
        }
        finally
        {
            Assert.True(hsm.Custodian.Destroy(key.HsmId));
        }

        Assert.False(hsm.Custodian.Destroy(key.HsmId));
        Assert.Null(hsm.Custodian.FindPublicKey(key.HsmId, algorithm));
    }

    [Fact]
    public void Pkcs11_tool_sees_private_keys_as_sensitive_never_extractable_and_cannot_read_their_value()
    {
        var label = $"test/pkcs11-tool/{Guid.NewGuid():N}";
        var key = hsm.Custodian.Generate(SigningAlgorithm.ES256, label);
        var rsa = hsm.Custodian.Generate(SigningAlgorithm.PS256, label + "-rsa");
        try
        {
            var environment = new Dictionary<string, string> { ["SOFTHSM2_CONF"] = hsm.Options.SoftHsmConfig! };
            var pin = File.ReadAllText(hsm.Options.PinFile).Trim();
            var (code, listing) = ChildProcess.Run("pkcs11-tool", ["--module", hsm.Options.ModulePath, "--token-label", SoftHsmToken.DefaultLabel, "--login", "--pin", pin, "--list-objects", "--type", "privkey"], environment);
            Assert.Equal(0, code);

            foreach (var (hsmId, expectedLabel) in new[] { (key.HsmId, label), (rsa.HsmId, label + "-rsa") })
            {
                var block = ObjectBlock(listing, hsmId);
                Assert.Contains($"label:      {expectedLabel}", block, StringComparison.Ordinal);
                Assert.Contains("sensitive", block, StringComparison.Ordinal);
                Assert.Contains("never extractable", block, StringComparison.Ordinal);
                Assert.Contains("Access:", block, StringComparison.Ordinal);
                Assert.DoesNotContain("Access:     extractable", block, StringComparison.Ordinal);

            }

            // Raw PKCS#11, through a second instance of the module on the same token: the attributes say the keys
            // can never leave, and C_GetAttributeValue refuses the private values.
            using var raw = RawToken.Open(hsm);
            foreach (var hsmId in new[] { key.HsmId, rsa.HsmId })
            {
                var attributes = raw.Read(hsmId, [CKA.CKA_SENSITIVE, CKA.CKA_ALWAYS_SENSITIVE, CKA.CKA_EXTRACTABLE, CKA.CKA_NEVER_EXTRACTABLE, CKA.CKA_TOKEN, CKA.CKA_PRIVATE]);
                Assert.True(attributes[0].GetValueAsBool());
                Assert.True(attributes[1].GetValueAsBool());
                Assert.False(attributes[2].GetValueAsBool());
                Assert.True(attributes[3].GetValueAsBool());
                Assert.True(attributes[4].GetValueAsBool());
                Assert.True(attributes[5].GetValueAsBool());

                var secret = raw.Read(hsmId, hsmId == key.HsmId ? [CKA.CKA_VALUE] : [CKA.CKA_PRIVATE_EXPONENT, CKA.CKA_PRIME_1, CKA.CKA_PRIME_2]);
                Assert.All(secret, attribute => Assert.True(attribute.CannotBeRead));
                Assert.False(raw.CanSetExtractable(hsmId));
            }
        }
        finally
        {
            hsm.Custodian.Destroy(key.HsmId);
            hsm.Custodian.Destroy(rsa.HsmId);
        }
    }

    [Fact]
    public void Lists_keys_by_label_prefix()
    {
        var prefix = $"test/list/{Guid.NewGuid():N}/";
        var a = hsm.Custodian.Generate(SigningAlgorithm.ES256, prefix + "v1");
        var b = hsm.Custodian.Generate(SigningAlgorithm.ES256, prefix + "v2");
        try
        {
            var listed = hsm.Custodian.List(prefix).OrderBy(k => k.Label, StringComparer.Ordinal).ToArray();
            Assert.Equal([a.HsmId, b.HsmId], listed.Select(k => k.HsmId));
            Assert.Empty(hsm.Custodian.List(prefix + "v3"));
        }
        finally
        {
            hsm.Custodian.Destroy(a.HsmId);
            hsm.Custodian.Destroy(b.HsmId);
        }
    }

    [Fact]
    public async Task Keys_made_and_found_while_the_collector_runs_have_exactly_the_attributes_asked_for()
    {
        // Pkcs11Interop hands the module pointers to attribute values that its attributes free in their finalizers, so a
        // template no longer referenced while C_GenerateKeyPair or C_FindObjectsInit ran could be freed under the
        // module. With collections and finalizers running back to back, as here, most runs failed: C_GenerateKeyPair
        // answered CKR_ATTRIBUTE_VALUE_INVALID (the flaky failure first seen in CI), or Destroy's search matched
        // nothing and reported a key gone that stayed in the token. A freed CKA_EXTRACTABLE = false could as well have
        // been read as true, so the attributes of every key are checked.
        var prefix = $"test/collector/{Guid.NewGuid():N}/";
        using var stop = new CancellationTokenSource();
        var collector = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                _ = new byte[64][];
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }
        });
        var keys = new List<HsmKey>();
        try
        {
            using var raw = RawToken.Open(hsm);
            for (var i = 0; i < 150; i++)
            {
                var key = hsm.Custodian.Generate(SigningAlgorithm.ES256, prefix + i);
                keys.Add(key);
                var attributes = raw.Read(key.HsmId, [CKA.CKA_SENSITIVE, CKA.CKA_EXTRACTABLE, CKA.CKA_PRIVATE, CKA.CKA_SIGN, CKA.CKA_DECRYPT, CKA.CKA_DERIVE, CKA.CKA_LABEL]);
                Assert.Equal([true, false, true, true, false, false], attributes.Take(6).Select(a => a.GetValueAsBool()));
                Assert.Equal(prefix + i, attributes[6].GetValueAsString());
                var digest = SHA256.HashData(BitConverter.GetBytes(i));
                Assert.True(key.PublicKey.VerifyDigest(digest, hsm.Custodian.SignDigest(key.HsmId, SigningAlgorithm.ES256, digest)));
            }

            Assert.Equal(keys.Select(k => k.HsmId).Order(), hsm.Custodian.List(prefix).Select(k => k.HsmId).Order());
        }
        finally
        {
            await stop.CancelAsync();
            await collector;
            foreach (var key in keys)
            {
                Assert.True(hsm.Custodian.Destroy(key.HsmId));
            }
        }
    }

    [Fact]
    public async Task Signs_concurrently_from_many_threads()
    {
        var key = hsm.Custodian.Generate(SigningAlgorithm.ES256, $"test/concurrency/{Guid.NewGuid():N}");
        try
        {
            var failures = 0;
            await Task.WhenAll(Enumerable.Range(0, 8).Select(thread => Task.Run(() =>
            {
                for (var i = 0; i < 100; i++)
                {
                    var digest = SHA256.HashData(Encoding.UTF8.GetBytes($"{thread}/{i}"));
                    if (!key.PublicKey.VerifyDigest(digest, hsm.Custodian.SignDigest(key.HsmId, SigningAlgorithm.ES256, digest)))
                    {
                        Interlocked.Increment(ref failures);
                    }
                }
            })));
            Assert.Equal(0, failures);
        }
        finally
        {
            hsm.Custodian.Destroy(key.HsmId);
        }
    }

    [Fact]
    public async Task A_connection_dropped_while_others_sign_never_lets_them_sign_with_another_key()
    {
        // Dropping a connection finalizes the module; the next call initializes it again, and the module hands out
        // the same session and object handle numbers again, for other objects. An operation still running on the old
        // connection must finish (or fail) before that, or its stale handles sign with whatever key now has them.
        using var privateHsm = PrivateSoftHsm.Create("sfi-hsm-drop-");
        using var custodian = new Pkcs11Custodian(privateHsm.Options);
        var keys = Enumerable.Range(0, 4).Select(i => custodian.Generate(SigningAlgorithm.ES256, $"drop/{i}")).ToArray();
        var missing = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));

        var wrong = 0;
        var signed = 0;
        var drops = 0;
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        var signers = keys.Select((key, k) => Task.Run(() =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var digest = SHA256.HashData(Encoding.UTF8.GetBytes($"{k}/{i}"));
                try
                {
                    if (!key.PublicKey.VerifyDigest(digest, custodian.SignDigest(key.HsmId, SigningAlgorithm.ES256, digest)))
                    {
                        Interlocked.Increment(ref wrong);
                    }

                    Interlocked.Increment(ref signed);
                }
                catch (HsmUnavailableException)
                {
                    // An operation caught by the outage may fail; it must never succeed with another key.
                }
            }
        }));
        var dropper = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                // A key the token does not hold reads as a wiped token: the connection is dropped.
                Assert.Throws<HsmUnavailableException>(() => custodian.SignDigest(missing, SigningAlgorithm.ES256, new byte[32]));
                Interlocked.Increment(ref drops);
            }
        });
        await Task.WhenAll([.. signers, dropper]);

        Assert.True(drops > 10, $"only {drops} drops");
        Assert.True(signed > 10, $"only {signed} signatures");
        Assert.Equal(0, wrong);
        var after = SHA256.HashData("after the drops"u8);
        Assert.True(keys[0].PublicKey.VerifyDigest(after, custodian.SignDigest(keys[0].HsmId, SigningAlgorithm.ES256, after)));
    }

    [Fact]
    public void Refuses_a_digest_of_the_wrong_length_before_reaching_the_token()
    {
        var key = hsm.Custodian.Generate(SigningAlgorithm.ES256, $"test/length/{Guid.NewGuid():N}");
        try
        {
            Assert.Throws<ArgumentException>(() => hsm.Custodian.SignDigest(key.HsmId, SigningAlgorithm.ES256, new byte[31]));
        }
        finally
        {
            hsm.Custodian.Destroy(key.HsmId);
        }
    }

    [Fact]
    public void An_unavailable_module_is_reported_and_recovers_without_a_restart()
    {
        // A second copy of the module has its own state, so it can run beside the fixture's token.
        using var privateHsm = PrivateSoftHsm.Create("sfi-hsm-outage-", installModule: false);
        using var custodian = new Pkcs11Custodian(privateHsm.Options);

        var missing = Assert.Throws<HsmUnavailableException>(custodian.Ping);
        Assert.Contains(privateHsm.ModulePath, missing.Message, StringComparison.Ordinal);

        privateHsm.InstallModule();
        custodian.Ping();
        var key = custodian.Generate(SigningAlgorithm.ES256, "outage/v1");
        var digest = SHA256.HashData("after recovery"u8);
        Assert.True(key.PublicKey.VerifyDigest(digest, custodian.SignDigest(key.HsmId, SigningAlgorithm.ES256, digest)));
    }

    [Fact]
    public void A_damaged_softhsm_token_is_refused_and_never_replaced_by_a_new_empty_one()
    {
        using var privateHsm = PrivateSoftHsm.Create("sfi-hsm-damaged-");
        Assert.True(privateHsm.Options.InitializeTokenIfMissing);
        using (var custodian = new Pkcs11Custodian(privateHsm.Options))
        {
            custodian.Generate(SigningAlgorithm.ES256, "damaged/v1");
        }

        // A crash while SoftHSM2 rewrote token.object in place leaves it cut short: the token has no label any more.
        var tokenObject = Assert.Single(Directory.GetFiles(privateHsm.TokenDirectory, "token.object", SearchOption.AllDirectories));
        File.WriteAllBytes(tokenObject, []);

        // The restarted custodian loads another copy of the module, so it reads the token directory afresh.
        var again = SoftHsmToken.Prepare(privateHsm.Directory, PrivateSoftHsm.CopyModule(Path.Combine(privateHsm.Directory, "again")));
        Assert.False(again.InitializeTokenIfMissing);
        using var restarted = new Pkcs11Custodian(again);
        var error = Assert.Throws<HsmUnavailableException>(restarted.Ping);
        Assert.Contains("not created over it", error.Message, StringComparison.Ordinal);
        Assert.Single(Directory.GetDirectories(privateHsm.TokenDirectory)); // no second, empty token beside the damaged one
    }

    [Fact]
    public void A_wrong_pin_is_unavailable_and_never_echoed()
    {
        var pinFile = Path.Combine(hsm.HsmDirectory, "wrong.pin");
        File.WriteAllText(pinFile, "not-the-pin-12345\n");
        var modulePath = PrivateSoftHsm.CopyModule(Path.Combine(hsm.HsmDirectory, "wrong-pin-module"));
        using var custodian = new Pkcs11Custodian(hsm.Options with { ModulePath = modulePath, PinFile = pinFile, InitializeTokenIfMissing = false });
        var error = Assert.Throws<HsmUnavailableException>(custodian.Ping);
        Assert.Contains("PIN", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-pin-12345", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_second_custodian_on_the_same_module_is_refused()
    {
        var error = Assert.Throws<InvalidOperationException>(() => new Pkcs11Custodian(hsm.Options));
        Assert.Contains("already in use", error.Message, StringComparison.Ordinal);
        hsm.Custodian.Ping();
    }

    private static string ObjectBlock(string listing, string hsmId)
    {
        var blocks = listing.Split("Private Key Object", StringSplitOptions.RemoveEmptyEntries);
        return Assert.Single(blocks, b => b.Contains($"ID:         {hsmId}", StringComparison.Ordinal));
    }
}
