using BenchmarkDotNet.Attributes;
using Convocore.Contracts.Numbers;

namespace Convocore.Benchmarks.Micro;

/// <summary>What every API add (Validate) and every call (NormalizeDialed) pays for phone-number handling.</summary>
public class E164Benchmarks
{
    [Benchmark]
    public bool Validate_valid() => E164.Validate("+15551234567") is null;

    [Benchmark]
    public bool Validate_near_miss_with_hint() => E164.Validate("+1 (555) 123-4567") is null;

    [Benchmark(Baseline = true)]
    public string? Normalize_plus() => E164.NormalizeDialed("+15551234567");

    [Benchmark]
    public string? Normalize_00_prefix() => E164.NormalizeDialed("0015551234567");

    [Benchmark]
    public string? Normalize_national_with_trunk_country() => E164.NormalizeDialed("02079460123", "GB");
}
