using System.Net;
using Convocore.Silo.Outbound;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Options;

namespace Convocore.Tests.Webhooks;

/// <summary>The outbound guard on real sockets: what it never connects to, and that it follows no redirect.</summary>
public sealed class OutboundGuardTests
{
    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("127.255.0.9")]
    [InlineData("10.0.0.1")]
    [InlineData("172.16.0.1")]
    [InlineData("172.31.255.254")]
    [InlineData("192.168.0.10")]
    [InlineData("169.254.169.254")]
    [InlineData("100.64.0.1")]
    [InlineData("100.127.255.255")]
    [InlineData("0.0.0.0")]
    [InlineData("224.0.0.1")]
    [InlineData("255.255.255.255")]
    [InlineData("192.0.0.192")]
    [InlineData("::")]
    [InlineData("::1")]
    [InlineData("fe80::1")]
    [InlineData("fc00::1")]
    [InlineData("fd00:ec2::254")]
    [InlineData("ff02::1")]
    [InlineData("::ffff:127.0.0.1")]
    [InlineData("::ffff:10.0.0.1")]
    [InlineData("::ffff:169.254.169.254")]
    [InlineData("64:ff9b::a9fe:a9fe")]
    [InlineData("2002:7f00:1::")]
    [InlineData("::127.0.0.1")]
    public void Loopback_private_link_local_CGNAT_and_metadata_addresses_are_refused(string address) =>
        Assert.True(OutboundAddresses.IsForbidden(IPAddress.Parse(address)));

    [Theory]
    [InlineData("93.184.215.14")]
    [InlineData("8.8.8.8")]
    [InlineData("172.32.0.1")]
    [InlineData("100.128.0.1")]
    [InlineData("2606:4700::1111")]
    [InlineData("::ffff:93.184.215.14")]
    [InlineData("2002:5db8:d70e::")]
    public void Public_addresses_are_allowed(string address) =>
        Assert.False(OutboundAddresses.IsForbidden(IPAddress.Parse(address)));

    [Theory]
    [InlineData("localhost")]
    [InlineData("127.0.0.1")]
    [InlineData("[::ffff:127.0.0.1]")]
    [InlineData("machine")]
    public async Task A_host_that_resolves_to_loopback_is_never_connected_to(string host)
    {
        if (host == "machine") host = Dns.GetHostName();
        await using var receiver = await WebhookReceiver.StartAsync();
        using var guarded = new OutboundHttp(Targets(allowPrivate: false));

        var refused = await Assert.ThrowsAnyAsync<HttpRequestException>(() =>
            guarded.Client.PostAsync($"http://{host}:{receiver.Port}/hooks", new StringContent("{}")));

        Assert.True(refused is OutboundRefusedException || refused.InnerException is OutboundRefusedException, refused.ToString());
        Assert.Equal(0, receiver.Arrivals);
    }

    [Fact]
    public async Task AllowPrivateTargets_lets_requests_reach_loopback()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        using var guarded = new OutboundHttp(Targets(allowPrivate: true));

        using var response = await guarded.Client.PostAsync($"http://localhost:{receiver.Port}/hooks", new StringContent("{}"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, receiver.Arrivals);
    }

    [Fact]
    public async Task A_redirect_is_answered_as_it_is_and_not_followed()
    {
        await using var target = await WebhookReceiver.StartAsync();
        await using var redirecting = await WebhookReceiver.StartAsync();
        redirecting.Answer = (_, _) => Task.FromResult(307);
        redirecting.RedirectTo = target.Url;
        using var guarded = new OutboundHttp(Targets(allowPrivate: true));

        using var request = new HttpRequestMessage(HttpMethod.Post, redirecting.Url) { Content = new StringContent("{}") };
        using var response = await guarded.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.TemporaryRedirect, response.StatusCode);
        Assert.Equal(0, target.Arrivals);
    }

    private static OutboundTargets Targets(bool allowPrivate) =>
        new(Options.Create(new OutboundOptions { AllowPrivateTargets = allowPrivate, AllowHttp = true }),
            new HostingEnvironment { EnvironmentName = Environments.Production });
}
