namespace SecureFuture.WebConsole.People;

/// <summary>What a person may do in the console. Every page and every console action names the capability it needs.</summary>
public enum Capability
{
    /// <summary>See every page (findings, keys, clients, events, people).</summary>
    Read,

    /// <summary>Dismiss, accept and reopen findings.</summary>
    DecideFindings,

    /// <summary>Rotate key rings.</summary>
    OperateKeys,

    /// <summary>Disable and enable OAuth clients.</summary>
    ManageClients,

    /// <summary>Invite and remove people.</summary>
    ManagePeople,

    /// <summary>Choose which sign-in factors the deployment allows besides passkeys (TOTP); owners only.</summary>
    ConfigureSignIn,
}

/// <summary>The four console roles. A role is a set of permissions, defined here and nowhere else.</summary>
public enum Role
{
    Reader,
    KeyOperator,
    SecurityAdmin,
    Owner,
}

public static class Roles
{
    public static IReadOnlySet<Capability> CapabilitiesOf(Role role) => role switch
    {
        Role.Owner => new HashSet<Capability>(Enum.GetValues<Capability>()),
        Role.SecurityAdmin => new HashSet<Capability> { Capability.Read, Capability.DecideFindings, Capability.ManageClients },
        Role.KeyOperator => new HashSet<Capability> { Capability.Read, Capability.OperateKeys },
        Role.Reader => new HashSet<Capability> { Capability.Read },
        _ => new HashSet<Capability>(),
    };

    public static bool Allows(this Role role, Capability capability) => CapabilitiesOf(role).Contains(capability);

    public static string ToToken(this Role role) => role switch
    {
        Role.Owner => "owner",
        Role.SecurityAdmin => "security-admin",
        Role.KeyOperator => "key-operator",
        Role.Reader => "reader",
        _ => throw new ArgumentOutOfRangeException(nameof(role), role, null),
    };

    public static bool TryParse(string? text, out Role role)
    {
        foreach (var candidate in Enum.GetValues<Role>())
        {
            if (string.Equals(candidate.ToToken(), text, StringComparison.Ordinal))
            {
                role = candidate;
                return true;
            }
        }

        role = default;
        return false;
    }
}

/// <summary>How a person signed in. A passkey is phishing-resistant; a TOTP code is not, so it is always shown as weaker.</summary>
public enum SignInFactor
{
    Passkey,
    Totp,
}

public static class SignInFactors
{
    public static string ToToken(this SignInFactor factor) => factor switch
    {
        SignInFactor.Passkey => "passkey",
        SignInFactor.Totp => "totp",
        _ => throw new ArgumentOutOfRangeException(nameof(factor), factor, null),
    };

    /// <summary>How the factor is named wherever it is shown.</summary>
    public static string Describe(this SignInFactor factor) => factor switch
    {
        SignInFactor.Passkey => "passkey",
        SignInFactor.Totp => "TOTP code (weaker: can be phished)",
        _ => throw new ArgumentOutOfRangeException(nameof(factor), factor, null),
    };

    public static bool TryParse(string? text, out SignInFactor factor)
    {
        foreach (var candidate in Enum.GetValues<SignInFactor>())
        {
            if (string.Equals(candidate.ToToken(), text, StringComparison.Ordinal))
            {
                factor = candidate;
                return true;
            }
        }

        factor = default;
        return false;
    }
}
