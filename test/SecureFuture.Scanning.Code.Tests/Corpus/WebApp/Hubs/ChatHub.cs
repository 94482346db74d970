using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Logging;
using WebApp.Services;

namespace WebApp.Hubs;

public sealed class ChatHub(ModerationService moderation, ILogger<ChatHub> logger) : Hub
{
    public async Task SendMessage(string room, string message)
    {
        if (!moderation.IsAllowed(message))
        {
            logger.LogWarning("Blocked message in " + room + ": " + message); // VULN: log-injection
            return;
        }

        await Clients.Group(room).SendAsync("message", Context.UserIdentifier, message);
    }

    public async Task Join(string roomId)
    {
        var room = Guid.Parse(roomId);
        logger.LogInformation("{Connection} joined room {Room}", Context.ConnectionId, room); // SAFE: log-injection
        await Groups.AddToGroupAsync(Context.ConnectionId, room.ToString());
    }

    /// <summary>Searches the room history with the caller's pattern (ModerationService.MatchesFilter).</summary>
    public Task<bool> Search(string text, string pattern) => Task.FromResult(moderation.MatchesFilter(text, pattern));

    public Task<bool> SearchWord(string text, string word) => Task.FromResult(moderation.MatchesWord(text, word));
}
