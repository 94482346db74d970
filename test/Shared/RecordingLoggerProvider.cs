using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace SecureFuture.Testing;

/// <summary>One log message as a test sees it: who logged it (the <c>ILogger&lt;T&gt;</c> category), how loud, and the text.</summary>
internal sealed record LoggedMessage(string Category, LogLevel Level, EventId EventId, string Message);

/// <summary>A logging provider that keeps every message, for tests that assert what an operator is told.</summary>
internal sealed class RecordingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<LoggedMessage> _messages = new();

    /// <summary>Completed (and replaced) by every message: what <see cref="WaitForAsync"/> waits on.</summary>
    private TaskCompletionSource _logged = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public IReadOnlyList<LoggedMessage> Messages => [.. _messages];

    public ILogger CreateLogger(string categoryName) => new Recorder(this, categoryName);

    /// <summary>A typed logger writing to this provider, for a class built without a host.</summary>
    public ILogger<T> CreateLogger<T>() => new Recorder<T>(this);

    /// <summary>Waits (up to <paramref name="timeout"/>) for a message that matches; a real background loop logs it.</summary>
    public async Task<LoggedMessage> WaitForAsync(Func<LoggedMessage, bool> match, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        while (true)
        {
            // Taken before looking, so that a message logged after the look completes it.
            var next = Volatile.Read(ref _logged).Task;
            if (_messages.FirstOrDefault(match) is { } found)
            {
                return found;
            }

            try
            {
                await next.WaitAsync(cancel.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException("no matching log message; logged: " + string.Join(" | ", _messages.Select(m => $"{m.Category}: {m.Message}")));
            }
        }
    }

    public void Dispose()
    {
    }

    private void Add(LoggedMessage message)
    {
        _messages.Enqueue(message);
        Interlocked.Exchange(ref _logged, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
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
            => owner.Add(new LoggedMessage(category, logLevel, eventId, formatter(state, exception)));
    }
}
