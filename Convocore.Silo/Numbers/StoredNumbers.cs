using Convocore.Contracts.Numbers;
using Orleans.Storage;

namespace Convocore.Silo.Numbers;

/// <summary>
/// A number's assignment as its phone number grain last stored it, read without activating the grain: callers choose
/// what they dial, and a number nobody owns must cost no activation (nor the directory entry and activation-table room
/// one leaves behind, BENCHMARKS.md "unknown DIDs"). What is read is a write that landed; the grain makes every silo's
/// routing table forget the number after each write, which also drops a read still in flight (<see cref="Routing.RoutingTable"/>).
/// </summary>
internal sealed class StoredNumbers(IGrainFactory grains, [FromKeyedServices(StoredState.Storage)] IGrainStorage storage)
{
    public async Task<NumberAssignment?> Assignment(string phoneNumber) =>
        (await storage.Read<PhoneNumberState>(PhoneNumberGrain.StateName, grains.GetGrain<IPhoneNumberGrain>(phoneNumber).GetGrainId()))?.Assignment;
}
