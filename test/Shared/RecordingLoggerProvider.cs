using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace SecureFuture.Testing;

/// <summary>One log message as a test sees it: who logged it (the <c>ILogger&lt;T&gt;</c> category), how loud, and the text.</summary>
internal sealed record LoggedMessage(string Category, LogLevel Level, EventId EventId, string Message);

/// <summary>A logging provider that keeps every message, for tests that assert what an operator is told.</summary>
internal sealed class RecordingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<LoggedMessage> _messages = new();

    public IReadOnlyList<LoggedMessage> Messages => [.. _messages];

    public ILogger CreateLogger(string categoryName) => new Recorder(this, categoryName);

    /// <summary>A typed logger writing to this provider, for a class built without a host.</summary>
    public ILogger<T> CreateLogger<T>() => new Recorder<T>(this);

    /// <summary>Waits (polling, up to <paramref name="timeout"/>) for a message that matches; a real background loop logs it.</summary>
    public async Task<LoggedMessage> WaitForAsync(Func<LoggedMessage, bool> match, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        while (true)
        {
            if (_messages.FirstOrDefault(match) is { } found)
            {
                return found;
            }

            if (cancel.IsCancellationRequested)
            {
                throw new TimeoutException("no matching log message; logged: " + string.Join(" | ", _messages.Select(m => $"{m.Category}: {m.Message}")));
            }

            await Task.Delay(20, CancellationToken.None);
        }
    }

    public void Dispose()
    {
    }

    private sealed class Recorder<T>(RecordingLoggerProvider owner) : Recorder(owner, typeof(T).FullName ?? typeof(T).Name), ILogger<T>
    {
    }

    private class Recorder(RecordingLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            => owner._messages.Enqueue(new LoggedMessage(category, logLevel, eventId, formatter(state, exception)));
    }
}
