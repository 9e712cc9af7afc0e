namespace Convocore.Silo;

/// <summary>
/// How a background loop of the silo lives through failures (Redis timing out, a grain call failing, a bug of ours): the
/// first failure of a streak is logged as a warning and the rest at debug level, each retry waits twice as long as the one
/// before up to a cap, and the loop says once when it works again. A hosted service that throws stops the whole silo, so
/// nothing but the shutdown may end a loop.
/// </summary>
internal sealed class FailureStreak(ILogger logger, string activity, TimeSpan firstPause, TimeSpan maxPause)
{
    private int failures;
    private DateTime since;
    private TimeSpan pause;

    public bool Failing => failures > 0;

    /// <summary>Logs the failure (above debug level only the first of a streak) and says how long to wait before retrying.</summary>
    public TimeSpan Failed(Exception exception)
    {
        if (failures++ == 0)
        {
            since = DateTime.UtcNow;
            pause = firstPause < maxPause ? firstPause : maxPause;
            logger.LogWarning(exception, "{Activity} failed; retrying until it works again", activity);
        }
        else
        {
            pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, maxPause.Ticks));
            logger.LogDebug("{Activity} failed again ({Failures} in a row): {Error}", activity, failures, exception.GetType().Name);
        }
        return pause;
    }

    /// <summary>Waits after a failure, until the next retry or the shutdown, whichever comes first.</summary>
    public async Task PauseAfter(Exception exception, CancellationToken stoppingToken) =>
        await Task.Delay(Failed(exception), stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);

    /// <summary>
    /// Runs <paramref name="round"/> every <paramref name="interval"/> until the shutdown; a failed round is retried after
    /// the streak's pause instead.
    /// </summary>
    public async Task RunEvery(TimeSpan interval, Func<CancellationToken, Task> round, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await round(stoppingToken);
                Succeeded();
            }
            catch (Exception) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                await PauseAfter(ex, stoppingToken);
                continue;
            }
            await Task.Delay(interval, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    public void Succeeded()
    {
        if (failures == 0) return;
        logger.LogInformation("{Activity} works again; failed attempts: {Failures}, over {Duration}", activity, failures, DateTime.UtcNow - since);
        failures = 0;
    }
}
