using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using StackExchange.Redis;

namespace Convocore.Web.Dashboard;

/// <summary>
/// Dashboard sessions kept in Redis, shared by every web replica: the cookie holds only the session's id (encrypted),
/// the session names the workspace and the id of the API key it was started with, never the key. A session expires
/// with its cookie, and signing out removes it.
/// </summary>
internal sealed class DashboardSessionStore([FromKeyedServices("redis")] IConnectionMultiplexer redis, TimeProvider clock) : ITicketStore
{
    /// <summary>A claim of every session's principal: its id, so a live connection can tell its session ended.</summary>
    public const string SessionIdClaim = "convocore:session";

    private static readonly TimeSpan DefaultLifetime = TimeSpan.FromHours(8);

    private IDatabase Db => redis.GetDatabase();

    private static RedisKey Key(string sessionId) => "convocore:web:session:" + sessionId;

    public async Task<string> StoreAsync(AuthenticationTicket ticket)
    {
        var sessionId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        (ticket.Principal.Identity as ClaimsIdentity)?.AddClaim(new Claim(SessionIdClaim, sessionId));
        await RenewAsync(sessionId, ticket);
        return sessionId;
    }

    public Task RenewAsync(string key, AuthenticationTicket ticket) =>
        Db.StringSetAsync(Key(key), TicketSerializer.Default.Serialize(ticket), Lifetime(ticket));

    public async Task<AuthenticationTicket?> RetrieveAsync(string key) =>
        await Db.StringGetAsync(Key(key)) is { HasValue: true } stored ? TicketSerializer.Default.Deserialize(stored!) : null;

    public Task RemoveAsync(string key) => Db.KeyDeleteAsync(Key(key));

    public Task<bool> IsOpen(string sessionId) => Db.KeyExistsAsync(Key(sessionId));

    private TimeSpan Lifetime(AuthenticationTicket ticket) =>
        ticket.Properties.ExpiresUtc is { } expires && expires > clock.GetUtcNow() ? expires - clock.GetUtcNow() : DefaultLifetime;
}
