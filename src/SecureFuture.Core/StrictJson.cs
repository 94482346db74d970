using System.Text.Json;

namespace SecureFuture.Core;

/// <summary>
/// The one place that says how security-relevant JSON is read: admin request bodies, and JWS headers and claims that
/// sfi is asked to sign. A member that appears twice is refused, never read last-wins: RFC 8259 §4 leaves the meaning
/// of duplicate names to each parser, so two readers of the same document (a check here, a verifier elsewhere) could
/// each see a different value; RFC 7515 §5.2 lets a JWS producer refuse them, and sfi does.
/// </summary>
public static class StrictJson
{
    /// <summary>Options for <see cref="JsonDocument.Parse(ReadOnlyMemory{byte}, JsonDocumentOptions)"/>: duplicates refused.</summary>
    public static JsonDocumentOptions DocumentOptions(int maxDepth) => new() { MaxDepth = maxDepth, AllowDuplicateProperties = false };

    /// <summary>
    /// Options for request bodies of an HTTP API: web defaults (camelCase), unknown members and duplicate members
    /// refused (also inside nested <see cref="JsonElement"/> values, such as a JWKS), null members not written.
    /// </summary>
    public static JsonSerializerOptions ApiOptions(int maxDepth) => new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
        AllowDuplicateProperties = false,
        MaxDepth = maxDepth,
    };
}
