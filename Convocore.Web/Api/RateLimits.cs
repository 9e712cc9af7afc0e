using System.Globalization;
using System.Security.Claims;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace Convocore.Web.Api;

/// <summary>Convocore:RateLimits: how much each credential and each client address may ask (README, "Rate limits").</summary>
internal sealed class RateLimitOptions
{
    public const string Section = "Convocore:RateLimits";

    /// <summary>Requests per second an API key (a dashboard session counts as its key) may make, sustained.</summary>
    public int PerKeyPerSecond { get; set; } = 100;

    /// <summary>How many requests a key may make at once before the sustained rate applies.</summary>
    public int PerKeyBurst { get; set; } = 200;

    /// <summary>Requests with an unknown or revoked key, per client address and minute.</summary>
    public int FailedAuthenticationsPerMinute { get; set; } = 30;

    /// <summary>Dashboard sign-ins (POST /api/session), per client address and minute.</summary>
    public int SignInsPerMinute { get; set; } = 30;
}

/// <summary>
/// ASP.NET Core's rate limiter in front of the API: a token bucket per credential, and fixed windows per client address
/// for failed authentications and sign-ins (the requests that guess keys). A refused request gets 429 with Retry-After
/// and a problem detail; what it asked for is not done. Requests without credentials (pages, static files, /health) are
/// not limited.
/// </summary>
internal static class RateLimits
{
    /// <summary>A claim every authenticated principal carries: which credential it is (a key's id, never the key).</summary>
    public const string CredentialClaim = "convocore:credential";

    public static IServiceCollection AddConvocoreRateLimits(this IServiceCollection services)
    {
        services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.Section);
        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<RateLimitOptions>>((options, limits) =>
        {
            var l = limits.Value;
            options.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context => Partition(context, l));
            options.OnRejected = Reject;
        });
        return services;
    }

    private static RateLimitPartition<string> Partition(HttpContext context, RateLimitOptions limits)
    {
        var request = context.Request;
        var address = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        if (HttpMethods.IsPost(request.Method) && request.Path.StartsWithSegments("/api/session"))
            return RateLimitPartition.GetFixedWindowLimiter("sign-in:" + address, _ => PerMinute(limits.SignInsPerMinute));
        if (context.User.FindFirstValue(CredentialClaim) is { } credential)
        {
            return RateLimitPartition.GetTokenBucketLimiter("key:" + credential, _ => new TokenBucketRateLimiterOptions
            {
                TokenLimit = limits.PerKeyBurst,
                TokensPerPeriod = limits.PerKeyPerSecond,
                ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                QueueLimit = 0,
                AutoReplenishment = true,
            });
        }
        if (request.Headers.Authorization.Count > 0)
            return RateLimitPartition.GetFixedWindowLimiter("failed:" + address, _ => PerMinute(limits.FailedAuthenticationsPerMinute));
        return RateLimitPartition.GetNoLimiter("anonymous");
    }

    private static FixedWindowRateLimiterOptions PerMinute(int permits) =>
        new() { PermitLimit = permits, Window = TimeSpan.FromMinutes(1), QueueLimit = 0, AutoReplenishment = true };

    /// <summary>
    /// Before authentication: an address that has used up its failed authentications is refused at once, so that
    /// guessing keys costs the cluster nothing more (checked without taking a permit: only a failure takes one).
    /// </summary>
    public static IApplicationBuilder UseFailedAuthenticationGate(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        if (context.Request.Headers.Authorization.Count > 0
            && context.RequestServices.GetRequiredService<IOptions<RateLimiterOptions>>().Value.GlobalLimiter is { } limiter)
        {
            using var lease = limiter.AttemptAcquire(context, 0);
            if (!lease.IsAcquired)
            {
                await TooManyRequests(context, lease);
                return;
            }
        }
        await next(context);
    });

    private static ValueTask Reject(OnRejectedContext rejected, CancellationToken cancellationToken) =>
        new(TooManyRequests(rejected.HttpContext, rejected.Lease));

    private static async Task TooManyRequests(HttpContext context, RateLimitLease lease)
    {
        var seconds = lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter)
            ? Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds))
            : 1;
        context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        await Results.Problem(
            detail: $"Too many requests: try again in {seconds} s",
            statusCode: StatusCodes.Status429TooManyRequests,
            title: "Too many requests").ExecuteAsync(context);
    }
}
