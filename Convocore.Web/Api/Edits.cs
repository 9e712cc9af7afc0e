using System.Text.Json.Nodes;
using Convocore.Contracts.Common;
using Microsoft.OpenApi;

namespace Convocore.Web.Api;

/// <summary>What PUT and PATCH share: documenting a body read by <see cref="RequestBodies"/>, and merging a patch.</summary>
internal static class Edits
{
    // Each failed attempt means another change landed, so this many PATCHes of one thing at once all land.
    private const int PatchAttempts = 10;

    /// <summary>
    /// Documents the body in the OpenAPI document. Not <c>Accepts&lt;T&gt;()</c>: that makes routing answer a bare 415
    /// itself, before <see cref="RequestBodies"/> can say what is wrong.
    /// </summary>
    public static RouteHandlerBuilder DocumentBody<T>(this RouteHandlerBuilder builder, string contentType, bool required = true) =>
        builder.AddOpenApiOperationTransformer(async (operation, context, cancellationToken) =>
        {
            var schema = await context.GetOrCreateSchemaAsync(typeof(T), null, cancellationToken);
            operation.RequestBody = new OpenApiRequestBody
            {
                Required = required,
                Content = new Dictionary<string, OpenApiMediaType> { [contentType] = new() { Schema = schema } },
            };
        });

    /// <summary>The refusals every write endpoint may answer, besides its own.</summary>
    public static RouteHandlerBuilder ProducesBodyProblems(this RouteHandlerBuilder builder) =>
        builder.ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status413PayloadTooLarge, StatusCodes.Status415UnsupportedMediaType);

    /// <summary>
    /// Applies a merge patch to what is stored: reads it, merges, checks the result as a PUT would, and writes it back
    /// only if nothing changed in between (the grain compares); a change that landed meanwhile makes it start over.
    /// </summary>
    /// <param name="current">What is stored now, null when it does not exist.</param>
    /// <param name="represent">The stored value as the JSON document the patch applies to.</param>
    /// <param name="read">The patched document read as a complete value, or why it is not one.</param>
    /// <param name="write">Writes the new value unless the stored one is no longer the first argument.</param>
    public static async Task<IResult> Patch<TValue, TInfo>(JsonObject patch, string notFound,
        Func<Task<TValue?>> current, Func<TValue, JsonObject> represent, Func<JsonObject, Outcome<TValue>> read,
        Func<TValue, TValue, Task<Outcome<TInfo>>> write, Func<TInfo, IResult> onSuccess) where TValue : class
    {
        for (var attempt = 1; ; attempt++)
        {
            if (await current() is not { } stored) return Problems.NotFound(notFound);
            var patched = (JsonObject)MergePatch.Apply(represent(stored), patch)!;
            var value = read(patched);
            if (value.Failure is { } invalid) return Problems.From(invalid);
            var outcome = await write(stored, value.Value!);
            if (outcome.Failure?.Detail == ConcurrentEdits.ChangedMeanwhile && attempt < PatchAttempts) continue;
            return outcome.ToResult(onSuccess);
        }
    }
}
