using Microsoft.OpenApi;

namespace Convocore.Web.Api;

/// <summary>What the write endpoints share: documenting a body read by <see cref="RequestBodies"/>.</summary>
internal static class Edits
{
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
    public static RouteHandlerBuilder ProducesBodyProblems(this RouteHandlerBuilder builder) => builder
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
        .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
}
