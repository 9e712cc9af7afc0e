using System.Net;
using Convocore.Contracts.Webhooks;
using Microsoft.Extensions.Options;

namespace Convocore.Silo.Outbound;

/// <summary>
/// Judges a customer's URL when it is saved (scheme, length, an address literal in a forbidden range); the address
/// actually connected to is judged again by <see cref="OutboundHttp"/> on every connection.
/// </summary>
internal sealed class OutboundTargets(IOptions<OutboundOptions> options, IHostEnvironment environment)
{
    public bool AllowPrivate { get; } = options.Value.AllowPrivateTargets ?? environment.IsDevelopment();

    public bool AllowHttp { get; } = options.Value.AllowHttp ?? environment.IsDevelopment();

    /// <summary>The refusal's text, or null when the URL may be used.</summary>
    public string? Refusal(string? url)
    {
        if (string.IsNullOrWhiteSpace(url)) return WebhookRules.UrlRequired;
        if (url.Length > WebhookRules.MaxUrlLength) return WebhookRules.UrlTooLong;
        var invalid = AllowHttp ? WebhookRules.UrlNotHttp : WebhookRules.UrlNotHttps;
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Host.Length == 0) return invalid;
        if (uri.Scheme != Uri.UriSchemeHttps && !(AllowHttp && uri.Scheme == Uri.UriSchemeHttp)) return invalid;
        if (uri.UserInfo.Length > 0) return WebhookRules.UrlWithCredentials;
        if (AllowPrivate) return null;
        if (uri.IsLoopback || uri.Host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase)) return WebhookRules.UrlPrivate;
        return IPAddress.TryParse(uri.DnsSafeHost, out var literal) && OutboundAddresses.IsForbidden(literal) ? WebhookRules.UrlPrivate : null;
    }
}
