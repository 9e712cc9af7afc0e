using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// /health answers JSON: the overall status ("Healthy", "Degraded", "Unhealthy") and each check's status and
/// description, so operators see which part is failing (the cluster, an Asterisk server).
/// </summary>
internal static class HealthResponse
{
    /// <param name="showDetails">Whether this caller may see each check with its data (addresses, server names,
    /// versions); the others get the overall status only.</param>
    public static Func<HttpContext, HealthReport, Task> Writer(Func<HttpContext, bool>? showDetails) => (context, report) =>
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        object body = showDetails is null || showDetails(context)
            ? new
            {
                status = report.Status.ToString(),
                checks = report.Entries.ToDictionary(
                    e => e.Key,
                    e => new { status = e.Value.Status.ToString(), description = e.Value.Description, data = e.Value.Data }),
            }
            : new { status = report.Status.ToString() };
        return context.Response.WriteAsync(JsonSerializer.Serialize(body));
    };
}
