using System.Text.Json;
using Microsoft.AspNetCore.Http;
using SecureFuture.Keys;

namespace SecureFuture.Server;

/// <summary>RFC 9457 problem details, the only error shape the API returns.</summary>
internal static class Problems
{
    public static IResult Of(int status, string title, string detail, IReadOnlyList<string>? errors = null, string? jsonPath = null, long? line = null, long? column = null)
    {
        var extensions = new Dictionary<string, object?>();
        if (errors is { Count: > 0 })
        {
            extensions["errors"] = errors;
        }

        // Where in a pushed document the fault is (a SARIF log): a JSONPath and 1-based line and column.
        if (jsonPath is not null)
        {
            extensions["jsonPath"] = jsonPath;
            extensions["line"] = line;
            extensions["column"] = column;
        }

        return Results.Problem(detail: detail, statusCode: status, title: title, extensions: extensions);
    }

    public static IResult From(KeyServiceException e) => e.Kind switch
    {
        KeyErrorKind.NotFound => Of(StatusCodes.Status404NotFound, "Not found", e.Message),
        KeyErrorKind.Forbidden => Of(StatusCodes.Status403Forbidden, "Forbidden", e.Message),
        KeyErrorKind.Conflict => Of(StatusCodes.Status409Conflict, "Conflict", e.Message),
        KeyErrorKind.TooLarge => Of(StatusCodes.Status413PayloadTooLarge, "Payload too large", e.Message),
        KeyErrorKind.Unavailable => Of(StatusCodes.Status503ServiceUnavailable, "Unavailable", e.Message),
        _ => Of(StatusCodes.Status400BadRequest, "Invalid request", e.Message, e.Errors),
    };

    public static IResult BadJson(JsonException e)
    {
        var where = e.LineNumber is { } line ? $"line {line + 1}, column {(e.BytePositionInLine ?? 0) + 1}: " : string.Empty;
        var what = e.Message.Contains("could not be mapped", StringComparison.Ordinal)
            ? $"unknown member '{e.Path?.TrimStart('$', '.')}'"
            : e.Message.Contains("could not be converted", StringComparison.Ordinal)
                ? $"'{e.Path?.TrimStart('$', '.')}' has the wrong type"
                : FirstSentence(e.Message);
        return Of(StatusCodes.Status400BadRequest, "Invalid request", $"request body: {where}{what}");
    }

    private static string FirstSentence(string message)
    {
        var end = message.IndexOf(". ", StringComparison.Ordinal);
        return end > 0 ? message[..end] : message.TrimEnd('.');
    }
}
