using System.Globalization;
using Convocore.Contracts.Common;
using Microsoft.AspNetCore.Diagnostics;
using Orleans.Runtime;
using Orleans.Runtime.Messaging;
using Orleans.Serialization;
using Orleans.Storage;
using StackExchange.Redis;

namespace Convocore.Web.Api;

/// <summary>
/// Answers a request that failed because storage or the cluster was away with 503 problem details and Retry-After, in
/// place of a 500: Redis timed out or refused (in a silo, which sends it as <see cref="StorageUnavailableException"/>, or
/// here), a grain call timed out (Orleans' response timeout, 30 s), the silo holding the grain was lost, or its state
/// was found stale after a write whose answer was lost (the grain is deactivated, so the next attempt reads it afresh).
/// What the request asked may or may not have been done; asking again is safe.
/// </summary>
internal sealed class ServiceUnavailableHandler(IProblemDetailsService problems, ILogger<ServiceUnavailableHandler> logger) : IExceptionHandler
{
    /// <summary>About how long membership takes to declare a crashed silo dead (1 s probes), and a Redis client to reconnect.</summary>
    public static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(3);

    public static readonly string Detail = $"The service is briefly unavailable; retry after {RetryAfter.TotalSeconds:F0} seconds";

    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (!IsUnavailability(exception) || context.Response.HasStarted) return false;
        logger.LogWarning(exception, "{Method} {Path} answered 503: storage or the cluster is unavailable", context.Request.Method, context.Request.Path);
        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        context.Response.Headers.RetryAfter = RetryAfter.TotalSeconds.ToString(CultureInfo.InvariantCulture);
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            Exception = exception,
            ProblemDetails = { Status = StatusCodes.Status503ServiceUnavailable, Title = "Service unavailable", Detail = Detail },
        });
    }

    private const string RedisStorageFailure = "Orleans.Persistence.Redis.RedisStorageException";

    /// <summary>The exception, or one it wraps, says that storage or the cluster did not answer.</summary>
    internal static bool IsUnavailability(Exception exception) => exception switch
    {
        StorageUnavailableException or RedisException or TimeoutException => true,
        // SiloUnavailableException among them: the message could not be delivered, its target is gone, or the silo it was
        // to go to no longer answers (a crashed silo until membership declares it dead).
        OrleansMessageRejectionException or ConnectionFailedException or GatewayTooBusyException or InconsistentStateException => true,
        // Grain storage's own failure, wrapped by Orleans when a grain could not read its state to activate; by name, since
        // the web app has no grain storage (and the type may arrive as a fallback that only names it).
        _ when exception.GetType().FullName == RedisStorageFailure => true,
        UnavailableExceptionFallbackException { ExceptionType: RedisStorageFailure } => true,
        AggregateException aggregate => aggregate.InnerExceptions.Any(IsUnavailability),
        { InnerException: { } inner } => IsUnavailability(inner),
        _ => false,
    };
}
