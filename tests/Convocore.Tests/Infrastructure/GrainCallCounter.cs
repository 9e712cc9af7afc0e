using System.Collections.Concurrent;

namespace Convocore.Tests.Infrastructure;

/// <summary>Counts the calls each silo's grains receive, by interface and method, so a test can show what a path calls.</summary>
internal sealed class GrainCallCounter : IIncomingGrainCallFilter
{
    private readonly ConcurrentDictionary<(Type Interface, string Method), long> calls = new();

    public long Count<TGrain>(string method) => calls.GetValueOrDefault((typeof(TGrain), method));

    public Task Invoke(IIncomingGrainCallContext context)
    {
        if (context.InterfaceMethod is { DeclaringType: { } declaring } method)
            calls.AddOrUpdate((declaring, method.Name), 1, (_, n) => n + 1);
        return context.Invoke();
    }
}
