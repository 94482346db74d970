using System.Collections.Concurrent;
using System.Diagnostics;
using System.Formats.Asn1;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;

namespace SecureFuture.Keys.Pkcs11;

/// <summary>
/// Key custody in a PKCS#11 token. Keys are generated inside the token as <c>CKA_TOKEN</c>, <c>CKA_PRIVATE</c>,
/// <c>CKA_SENSITIVE</c> and not <c>CKA_EXTRACTABLE</c>, and used only through <c>C_Sign</c>; this class has no code path
/// that reads a private attribute. One session stays logged in for the life of the connection (login is per
/// application in PKCS#11), operations borrow pooled sessions, and object handles are cached per key. Any error that
/// means the token is gone drops the connection; the next call reconnects, so an HSM outage ends without a restart.
/// </summary>
public sealed partial class Pkcs11Custodian : IKeyCustodian
{
    private static readonly object EnvironmentGate = new();
    private static readonly byte[] P256Oid = [0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07];
    private static readonly byte[] P384Oid = [0x06, 0x05, 0x2B, 0x81, 0x04, 0x00, 0x22];
    private static readonly byte[] Sha256DigestInfo = [0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20];
    private static readonly CKR[] ConnectionLost =
    [
        CKR.CKR_DEVICE_ERROR, CKR.CKR_DEVICE_REMOVED, CKR.CKR_DEVICE_MEMORY, CKR.CKR_TOKEN_NOT_PRESENT, CKR.CKR_TOKEN_NOT_RECOGNIZED,
        CKR.CKR_SESSION_HANDLE_INVALID, CKR.CKR_SESSION_CLOSED, CKR.CKR_CRYPTOKI_NOT_INITIALIZED, CKR.CKR_USER_NOT_LOGGED_IN,
        CKR.CKR_GENERAL_ERROR, CKR.CKR_SLOT_ID_INVALID,
    ];

    private static readonly ConcurrentDictionary<string, Pkcs11Custodian> ModulesInUse = new(StringComparer.Ordinal);
    private static int ResolverInstalled;

    /// <summary>How long a call waits for operations still running on a dropped connection before it gives up.</summary>
    private static readonly TimeSpan RetiringWait = TimeSpan.FromSeconds(30);

    private readonly Pkcs11Options _options;
    private readonly object _gate = new();
    private Connection? _connection;

    // A dropped connection still in use by operations that began on it. It is finalized by the last of them, and no
    // new connection opens before that: initializing the module again would hand out the same session and object
    // handle numbers for other sessions and objects, so a stale operation could sign with another key (or the
    // module's freed memory be used).
    private Connection? _retiring;
    private bool _disposed;

    public Pkcs11Custodian(Pkcs11Options options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options with { ModulePath = Path.GetFullPath(options.ModulePath) };

        // A module initializes once per process and its login is shared by every session of the process: a second
        // custodian on the same module would share (and, on dispose, finalize) the first one's state.
        if (!ModulesInUse.TryAdd(_options.ModulePath, this))
        {
            throw new InvalidOperationException($"the PKCS#11 module {_options.ModulePath} is already in use by another custodian in this process");
        }

        InstallLibdlResolver();
    }

    public string Description => $"PKCS#11 module {_options.ModulePath}, token '{_options.TokenLabel}'";

    public HsmKey Generate(SigningAlgorithm algorithm, string label)
    {
        ArgumentNullException.ThrowIfNull(algorithm);
        return Run(connection =>
        {
            var f = connection.Library.Factories;
            var id = RandomNumberGenerator.GetBytes(16);
            using var publicTemplate = new AttributeList(
            [
                f.ObjectAttributeFactory.Create(CKA.CKA_CLASS, CKO.CKO_PUBLIC_KEY),
                f.ObjectAttributeFactory.Create(CKA.CKA_TOKEN, true),
                f.ObjectAttributeFactory.Create(CKA.CKA_PRIVATE, false),
                f.ObjectAttributeFactory.Create(CKA.CKA_VERIFY, true),
                f.ObjectAttributeFactory.Create(CKA.CKA_ENCRYPT, false),
                f.ObjectAttributeFactory.Create(CKA.CKA_WRAP, false),
                f.ObjectAttributeFactory.Create(CKA.CKA_LABEL, label),
                f.ObjectAttributeFactory.Create(CKA.CKA_ID, id),
            ]);
            using var privateTemplate = new AttributeList(
            [
                f.ObjectAttributeFactory.Create(CKA.CKA_CLASS, CKO.CKO_PRIVATE_KEY),
                f.ObjectAttributeFactory.Create(CKA.CKA_TOKEN, true),
                f.ObjectAttributeFactory.Create(CKA.CKA_PRIVATE, true),
                f.ObjectAttributeFactory.Create(CKA.CKA_SENSITIVE, true),
                f.ObjectAttributeFactory.Create(CKA.CKA_EXTRACTABLE, false),
                f.ObjectAttributeFactory.Create(CKA.CKA_SIGN, true),
                f.ObjectAttributeFactory.Create(CKA.CKA_DECRYPT, false),
                f.ObjectAttributeFactory.Create(CKA.CKA_UNWRAP, false),
                f.ObjectAttributeFactory.Create(CKA.CKA_DERIVE, false),
                f.ObjectAttributeFactory.Create(CKA.CKA_LABEL, label),
                f.ObjectAttributeFactory.Create(CKA.CKA_ID, id),
            ]);

            CKM mechanism;
            if (algorithm.Family == KeyFamily.EllipticCurve)
            {
                mechanism = CKM.CKM_EC_KEY_PAIR_GEN;
                publicTemplate.Items.Add(f.ObjectAttributeFactory.Create(CKA.CKA_KEY_TYPE, CKK.CKK_EC));
                publicTemplate.Items.Add(f.ObjectAttributeFactory.Create(CKA.CKA_EC_PARAMS, algorithm.KeySizeBits == 384 ? P384Oid : P256Oid));
                privateTemplate.Items.Add(f.ObjectAttributeFactory.Create(CKA.CKA_KEY_TYPE, CKK.CKK_EC));
            }
            else
            {
                mechanism = CKM.CKM_RSA_PKCS_KEY_PAIR_GEN;
                publicTemplate.Items.Add(f.ObjectAttributeFactory.Create(CKA.CKA_KEY_TYPE, CKK.CKK_RSA));
                publicTemplate.Items.Add(f.ObjectAttributeFactory.Create(CKA.CKA_MODULUS_BITS, (ulong)algorithm.KeySizeBits));
                publicTemplate.Items.Add(f.ObjectAttributeFactory.Create(CKA.CKA_PUBLIC_EXPONENT, new byte[] { 0x01, 0x00, 0x01 }));
                privateTemplate.Items.Add(f.ObjectAttributeFactory.Create(CKA.CKA_KEY_TYPE, CKK.CKK_RSA));
            }

            using var session = connection.Borrow();
            using var generator = f.MechanismFactory.Create(mechanism);
            session.Session.GenerateKeyPair(generator, publicTemplate.Items, privateTemplate.Items, out var publicHandle, out var privateHandle);
            var hsmId = Convert.ToHexStringLower(id);
            var publicKey = ReadPublicKey(session.Session, publicHandle, algorithm);
            connection.Handles[hsmId] = privateHandle;
            return new HsmKey(hsmId, label, publicKey);
        });
    }

    public byte[] SignDigest(string hsmId, SigningAlgorithm algorithm, ReadOnlySpan<byte> digest)
    {
        ArgumentNullException.ThrowIfNull(algorithm);
        if (digest.Length != algorithm.DigestLength)
        {
            throw new ArgumentException($"{algorithm.Name} signs a {algorithm.DigestLength}-byte digest", nameof(digest));
        }

        var input = algorithm.Name == "RS256" ? [.. Sha256DigestInfo, .. digest] : digest.ToArray();
        return Run(connection =>
        {
            var f = connection.Library.Factories;
            using var session = connection.Borrow();
            // A signing key that vanished means the token was wiped or swapped: treat it as an outage, not a bad request.
            var handle = FindPrivateKey(connection, session.Session, hsmId) ?? throw new HsmUnavailableException($"the token no longer holds signing key {hsmId} (was it replaced or wiped?)");
            // Mechanisms are immutable descriptions, created once per connection and shared by all sessions.
            var mechanism = connection.Mechanisms.GetOrAdd(algorithm.Name, name => name switch
            {
                "PS256" => f.MechanismFactory.Create(CKM.CKM_RSA_PKCS_PSS, f.MechanismParamsFactory.CreateCkRsaPkcsPssParams((ulong)CKM.CKM_SHA256, (ulong)CKG.CKG_MGF1_SHA256, 32)),
                "RS256" => f.MechanismFactory.Create(CKM.CKM_RSA_PKCS),
                _ => f.MechanismFactory.Create(CKM.CKM_ECDSA),
            });
            try
            {
                return session.Session.Sign(mechanism, handle, input);
            }
            catch (Pkcs11Exception e) when (e.RV is CKR.CKR_KEY_HANDLE_INVALID or CKR.CKR_OBJECT_HANDLE_INVALID)
            {
                // The cached handle is stale (the object was destroyed or re-created elsewhere): look it up once more.
                connection.Handles.TryRemove(hsmId, out _);
                var fresh = FindPrivateKey(connection, session.Session, hsmId) ?? throw new HsmUnavailableException($"the token no longer holds signing key {hsmId} (was it replaced or wiped?)");
                return session.Session.Sign(mechanism, fresh, input);
            }
        });
    }

    public PublicKeyMaterial? FindPublicKey(string hsmId, SigningAlgorithm algorithm)
    {
        ArgumentNullException.ThrowIfNull(algorithm);
        return Run(connection =>
        {
            var f = connection.Library.Factories;
            using var session = connection.Borrow();
            var handles = AttributeList.Find(session.Session,
            [
                f.ObjectAttributeFactory.Create(CKA.CKA_CLASS, CKO.CKO_PUBLIC_KEY),
                f.ObjectAttributeFactory.Create(CKA.CKA_ID, Convert.FromHexString(hsmId)),
            ]);
            return handles.Count == 0 ? null : ReadPublicKey(session.Session, handles[0], algorithm);
        });
    }

    public IReadOnlyList<HsmKeyInfo> List(string labelPrefix)
    {
        return Run(connection =>
        {
            var f = connection.Library.Factories;
            using var session = connection.Borrow();
            var found = new List<HsmKeyInfo>();
            foreach (var handle in AttributeList.Find(session.Session, [f.ObjectAttributeFactory.Create(CKA.CKA_CLASS, CKO.CKO_PRIVATE_KEY)]))
            {
                AttributeList attributes;
                try
                {
                    attributes = new AttributeList(session.Session.GetAttributeValue(handle, [CKA.CKA_LABEL, CKA.CKA_ID]));
                }
                catch (Pkcs11Exception e) when (e.RV == CKR.CKR_OBJECT_HANDLE_INVALID)
                {
                    continue; // destroyed by another session or node since the search
                }

                using (attributes)
                {
                    var label = attributes[0].GetValueAsString() ?? string.Empty;
                    if (label.StartsWith(labelPrefix, StringComparison.Ordinal))
                    {
                        found.Add(new HsmKeyInfo(Convert.ToHexStringLower(attributes[1].GetValueAsByteArray() ?? []), label));
                    }
                }
            }

            return (IReadOnlyList<HsmKeyInfo>)found;
        });
    }

    public bool Destroy(string hsmId)
    {
        return Run(connection =>
        {
            var f = connection.Library.Factories;
            using var session = connection.Borrow();
            var handles = AttributeList.Find(session.Session, [f.ObjectAttributeFactory.Create(CKA.CKA_ID, Convert.FromHexString(hsmId))]);
            foreach (var handle in handles)
            {
                session.Session.DestroyObject(handle);
            }

            connection.Handles.TryRemove(hsmId, out _);
            return handles.Count > 0;
        });
    }

    public void Ping() => Run(connection =>
    {
        using var session = connection.Borrow();
        session.Session.GetSessionInfo();
        return true;
    });

    public void Dispose()
    {
        Connection? idle;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            idle = _connection is { } current && Retire(current) ? current : null;
            Monitor.PulseAll(_gate);
        }

        if (idle is not null)
        {
            Close(idle);
        }

        // The module stays this custodian's until operations still running on it have finished and closed it.
        lock (_gate)
        {
            var started = Stopwatch.GetTimestamp();
            while (_retiring is not null && RetiringWait - Stopwatch.GetElapsedTime(started) is { Ticks: > 0 } left)
            {
                Monitor.Wait(_gate, left);
            }
        }

        ModulesInUse.TryRemove(new KeyValuePair<string, Pkcs11Custodian>(_options.ModulePath, this));
    }

    private T Run<T>(Func<Connection, T> operation)
    {
        var connection = Enter();
        try
        {
            return operation(connection);
        }
        catch (Pkcs11Exception e) when (ConnectionLost.Contains(e.RV))
        {
            Drop(connection);
            throw new HsmUnavailableException($"the token stopped answering ({e.RV})", e);
        }
        catch (HsmUnavailableException)
        {
            Drop(connection);
            throw;
        }
        catch (Pkcs11Exception e)
        {
            throw new CryptographicException($"PKCS#11 {e.Method} failed: {e.RV}", e);
        }
        finally
        {
            Exit(connection);
        }
    }

    /// <summary>The current connection, opened if needed, counted as in use until <see cref="Exit"/>.</summary>
    private Connection Enter()
    {
        lock (_gate)
        {
            var started = Stopwatch.GetTimestamp();
            while (true)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                if (_connection is not null)
                {
                    _connection.Users++;
                    return _connection;
                }

                if (_retiring is null)
                {
                    _connection = Connection.Open(_options);
                    continue;
                }

                var left = RetiringWait - Stopwatch.GetElapsedTime(started);
                if (left <= TimeSpan.Zero || !Monitor.Wait(_gate, left))
                {
                    throw new HsmUnavailableException($"the token stopped answering and an operation begun before is still running after {RetiringWait.TotalSeconds:0} s");
                }
            }
        }
    }

    private void Exit(Connection connection)
    {
        lock (_gate)
        {
            if (--connection.Users > 0 || !connection.Retired)
            {
                return;
            }
        }

        Close(connection);
    }

    /// <summary>Stops handing out a connection that met an outage; the last operation still on it closes it.</summary>
    private void Drop(Connection connection)
    {
        lock (_gate)
        {
            if (ReferenceEquals(_connection, connection))
            {
                // The caller is one of its users, so it is closed on that caller's Exit at the latest.
                Retire(connection);
            }
        }
    }

    /// <summary>Under the gate: the connection is no longer handed out. True when nothing uses it (close it now).</summary>
    private bool Retire(Connection connection)
    {
        connection.Retired = true;
        _connection = null;
        _retiring = connection;
        return connection.Users == 0;
    }

    private void Close(Connection connection)
    {
        try
        {
            connection.Dispose();
        }
        finally
        {
            lock (_gate)
            {
                if (ReferenceEquals(_retiring, connection))
                {
                    _retiring = null;
                }

                Monitor.PulseAll(_gate);
            }
        }
    }

    private static IObjectHandle? FindPrivateKey(Connection connection, ISession session, string hsmId)
    {
        if (connection.Handles.TryGetValue(hsmId, out var cached))
        {
            return cached;
        }

        var f = connection.Library.Factories;
        var handles = AttributeList.Find(session,
        [
            f.ObjectAttributeFactory.Create(CKA.CKA_CLASS, CKO.CKO_PRIVATE_KEY),
            f.ObjectAttributeFactory.Create(CKA.CKA_ID, Convert.FromHexString(hsmId)),
        ]);
        if (handles.Count == 0)
        {
            return null;
        }

        connection.Handles[hsmId] = handles[0];
        return handles[0];
    }

    private static PublicKeyMaterial ReadPublicKey(ISession session, IObjectHandle handle, SigningAlgorithm algorithm)
    {
        if (algorithm.Family == KeyFamily.EllipticCurve)
        {
            using var read = new AttributeList(session.GetAttributeValue(handle, [CKA.CKA_EC_POINT]));
            var point = read[0].GetValueAsByteArray();
            var size = (algorithm.KeySizeBits + 7) / 8;
            var raw = point.Length == (2 * size) + 1 && point[0] == 0x04 ? point : new AsnReader(point, AsnEncodingRules.DER).ReadOctetString();
            if (raw.Length != (2 * size) + 1 || raw[0] != 0x04)
            {
                throw new CryptographicException("the token returned a compressed or malformed EC point");
            }

            return PublicKeyMaterial.EllipticCurve(algorithm, raw[1..(size + 1)], raw[(size + 1)..]);
        }

        using var attributes = new AttributeList(session.GetAttributeValue(handle, [CKA.CKA_MODULUS, CKA.CKA_PUBLIC_EXPONENT]));
        return PublicKeyMaterial.Rsa(algorithm, attributes[0].GetValueAsByteArray(), attributes[1].GetValueAsByteArray());
    }

    /// <summary>Pkcs11Interop loads modules through "libdl", which Debian 12 ships only as libdl.so.2.</summary>
    private static void InstallLibdlResolver()
    {
        if (Interlocked.Exchange(ref ResolverInstalled, 1) == 1)
        {
            return;
        }

        NativeLibrary.SetDllImportResolver(typeof(Pkcs11InteropFactories).Assembly, static (name, assembly, path) =>
            name == "libdl" && NativeLibrary.TryLoad("libdl.so.2", assembly, path, out var handle) ? handle : IntPtr.Zero);
    }

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetNativeEnvironment(string name, string value, int overwrite);

    /// <summary>A loaded module with one logged-in session and a pool of operation sessions.</summary>
    private sealed class Connection : IDisposable
    {
        private readonly ConcurrentBag<ISession> _pool = [];
        private readonly ISession _loginSession;
        private readonly int _maxPooled;
        private int _disposed;

        private Connection(IPkcs11Library library, ISlot slot, ISession loginSession, int maxPooled)
        {
            Library = library;
            Slot = slot;
            _loginSession = loginSession;
            _maxPooled = maxPooled;
        }

        public IPkcs11Library Library { get; }

        public ISlot Slot { get; }

        public ConcurrentDictionary<string, IObjectHandle> Handles { get; } = new(StringComparer.Ordinal);

        public ConcurrentDictionary<string, IMechanism> Mechanisms { get; } = new(StringComparer.Ordinal);

        /// <summary>Operations running on this connection (guarded by the custodian's gate).</summary>
        public int Users { get; set; }

        /// <summary>No longer handed out; closed by its last user (guarded by the custodian's gate).</summary>
        public bool Retired { get; set; }

        public static Connection Open(Pkcs11Options options)
        {
            if (!File.Exists(options.ModulePath))
            {
                throw new HsmUnavailableException($"the PKCS#11 module {options.ModulePath} does not exist{(options.ModulePath == Pkcs11Options.SoftHsmModule ? " (install it: apt-get install softhsm2)" : string.Empty)}");
            }

            byte[] pin;
            try
            {
                pin = ReadPin(options.PinFile);
            }
            catch (IOException e)
            {
                throw new HsmUnavailableException($"cannot read the PIN file {options.PinFile}: {e.Message}", e);
            }
            catch (UnauthorizedAccessException e)
            {
                throw new HsmUnavailableException($"cannot read the PIN file {options.PinFile}: {e.Message}", e);
            }

            IPkcs11Library? library = null;
            try
            {
                var factories = new Pkcs11InteropFactories();
                lock (EnvironmentGate)
                {
                    if (options.SoftHsmConfig is not null)
                    {
                        // The module reads SOFTHSM2_CONF with getenv during C_Initialize; .NET's own environment is not the C one.
                        _ = SetNativeEnvironment("SOFTHSM2_CONF", options.SoftHsmConfig, 1);
                    }

                    library = factories.Pkcs11LibraryFactory.LoadPkcs11Library(factories, options.ModulePath, AppType.MultiThreaded);
                }

                var slot = FindSlot(library, options.TokenLabel);
                if (slot is null && options.InitializeTokenIfMissing)
                {
                    slot = InitializeToken(library, options.TokenLabel, pin);
                }

                if (slot is null)
                {
                    throw new HsmUnavailableException(options.SoftHsmConfig is null
                        ? $"no token labelled '{options.TokenLabel}' in {options.ModulePath}"
                        : $"no token labelled '{options.TokenLabel}' in the SoftHSM2 token directory of {options.SoftHsmConfig}, which is not empty: "
                          + "its token is damaged (a cut-short token.object) or was made by another configuration; a new one is not created over it. "
                          + "Restore the directory from a backup, or move it aside to start with new keys");
                }

                var login = slot.OpenSession(SessionType.ReadWrite);
                try
                {
                    login.Login(CKU.CKU_USER, pin);
                }
                catch (Pkcs11Exception e) when (e.RV == CKR.CKR_USER_ALREADY_LOGGED_IN)
                {
                }
                catch
                {
                    login.Dispose();
                    throw;
                }

                return new Connection(library, slot, login, options.MaxPooledSessions);
            }
            catch (Pkcs11Exception e)
            {
                library?.Dispose();
                throw new HsmUnavailableException(e.RV == CKR.CKR_PIN_INCORRECT ? "the token refused the PIN" : $"cannot open the token ({e.RV})", e);
            }
            catch (Exception e) when (e is UnmanagedException or DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
            {
                library?.Dispose();
                throw new HsmUnavailableException($"cannot load the PKCS#11 module {options.ModulePath}: {e.Message}", e);
            }
            catch (HsmUnavailableException)
            {
                library?.Dispose();
                throw;
            }
            finally
            {
                CryptographicOperations.ZeroMemory(pin);
            }
        }

        public Lease Borrow()
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) == 1, this);
            return new Lease(this, _pool.TryTake(out var session) ? session : Slot.OpenSession(SessionType.ReadWrite));
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 1)
            {
                return;
            }

            while (_pool.TryTake(out var session))
            {
                TryDispose(session);
            }

            TryDispose(_loginSession);
            foreach (var mechanism in Mechanisms.Values)
            {
                mechanism.Dispose();
            }

            try
            {
                Library.Dispose();
            }
            catch (Pkcs11Exception)
            {
            }
        }

        private void Return(ISession session)
        {
            if (Volatile.Read(ref _disposed) == 0 && _pool.Count < _maxPooled)
            {
                _pool.Add(session);
            }
            else
            {
                TryDispose(session);
            }
        }

        private static void TryDispose(ISession session)
        {
            try
            {
                session.Dispose();
            }
            catch (Pkcs11Exception)
            {
            }
        }

        private static ISlot? FindSlot(IPkcs11Library library, string label)
        {
            foreach (var slot in library.GetSlotList(SlotsType.WithTokenPresent))
            {
                var info = slot.GetTokenInfo();
                if (info.TokenFlags.TokenInitialized && info.Label.Trim() == label)
                {
                    return slot;
                }
            }

            return null;
        }

        private static ISlot InitializeToken(IPkcs11Library library, string label, byte[] userPin)
        {
            var free = library.GetSlotList(SlotsType.WithTokenPresent).FirstOrDefault(s => !s.GetTokenInfo().TokenFlags.TokenInitialized)
                ?? throw new HsmUnavailableException("the module has no free slot to initialize a token in");

            // The security officer PIN exists only for this call and is then forgotten: no one can reset the user
            // PIN or re-initialize the token to reach the keys.
            var soPin = Encoding.ASCII.GetBytes(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)));
            try
            {
                free.InitToken(soPin, Encoding.UTF8.GetBytes(label));
                using var session = free.OpenSession(SessionType.ReadWrite);
                session.Login(CKU.CKU_SO, soPin);
                session.InitPin(userPin);
                session.Logout();
            }
            finally
            {
                CryptographicOperations.ZeroMemory(soPin);
            }

            return FindSlot(library, label) ?? throw new HsmUnavailableException($"token '{label}' was initialized but cannot be found");
        }

        private static byte[] ReadPin(string path)
        {
            var bytes = File.ReadAllBytes(path);
            var length = bytes.Length;
            while (length > 0 && bytes[length - 1] is (byte)'\n' or (byte)'\r')
            {
                length--;
            }

            if (length == 0)
            {
                throw new IOException("the PIN file is empty");
            }

            var pin = bytes[..length];
            CryptographicOperations.ZeroMemory(bytes);
            return pin;
        }

        public readonly struct Lease(Connection owner, ISession session) : IDisposable
        {
            public ISession Session { get; } = session;

            public void Dispose() => owner.Return(Session);
        }
    }
}
