namespace SecureFuture.Core;

/// <summary>
/// A user's input cannot be used (exit code 2). The message names the file, line and column where it can, in
/// the <c>file:line:column: message</c> form compilers use so that editors can jump to it.
/// </summary>
public sealed class InputException : Exception
{
    public InputException(string message)
        : base(message)
    {
    }

    public InputException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public InputException()
    {
    }

    public InputException(string path, long? line, long? column, string message, Exception? innerException = null)
        : base(Format(path, line, column, message), innerException)
    {
        FilePath = path;
        Line = line;
        Column = column;
    }

    public string? FilePath { get; }

    public long? Line { get; }

    public long? Column { get; }

    private static string Format(string path, long? line, long? column, string message) =>
        line is null ? $"{path}: {message}" : column is null ? $"{path}:{line}: {message}" : $"{path}:{line}:{column}: {message}";
}
