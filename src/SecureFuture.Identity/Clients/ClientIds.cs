namespace SecureFuture.Identity.Clients;

/// <summary>
/// What a client id may be: 1-128 characters, a letter or digit first, then letters, digits, '.', '_' and '-'
/// (<c>[A-Za-z0-9][A-Za-z0-9._-]{0,127}</c>). An id is a path segment of the admin API
/// (<c>/v1/clients/{id}/disable</c>, <c>/v1/subjects/{sub}/revoke</c>) and the <c>sub</c> of its tokens, and an id
/// that a path cannot name exactly is a client that cannot be disabled: <c>.</c> and <c>..</c> are removed from paths as
/// dot segments (RFC 3986 §5.2.4), <c>/</c> splits the segment (and stays <c>%2F</c> when encoded), and every other
/// character outside this set needs percent-encoding that some client or proxy on the way will get wrong.
/// </summary>
public static class ClientIds
{
    public const int MaxLength = 128;

    public const string Rule = "1-128 characters: a letter or digit first, then letters, digits, '.', '_' or '-'";

    public static bool IsValid(string? id)
        => id is { Length: > 0 and <= MaxLength } && char.IsAsciiLetterOrDigit(id[0]) && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');

    /// <summary>
    /// The id a route value names. Routing decodes every escape in a path except <c>%2F</c>; this decodes what remains,
    /// so a client registered before the rule above (its id holding a '/') can still be named as <c>team%2Fapp</c>, and
    /// the id is stored, compared and revoked decoded — never as the literal escape.
    /// </summary>
    public static string FromRoute(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return value.Contains('%', StringComparison.Ordinal) ? Uri.UnescapeDataString(value) : value;
    }
}
