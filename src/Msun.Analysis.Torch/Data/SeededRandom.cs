namespace Msun.Analysis.Torch.Data;

/// <summary>
/// A small seeded generator (xoshiro256** seeded through SplitMix64, Blackman and Vigna 2018) whose output
/// is fixed by this code alone. <see cref="System.Random"/> is avoided on purpose: .NET documents that its
/// algorithm may change between major versions, and split indices must stay reproducible across them.
/// </summary>
/// <remarks>An instance is not thread-safe; create one per consumer.</remarks>
public sealed class SeededRandom
{
    private ulong _s0, _s1, _s2, _s3;

    /// <summary>Creates a generator whose whole sequence is determined by <paramref name="seed"/>.</summary>
    public SeededRandom(ulong seed)
    {
        // SplitMix64 spreads any seed (even 0) over the 256-bit state, which must not be all zero.
        var sm = seed;
        _s0 = SplitMix64(ref sm);
        _s1 = SplitMix64(ref sm);
        _s2 = SplitMix64(ref sm);
        _s3 = SplitMix64(ref sm);
    }

    /// <summary>One SplitMix64 step: advances <paramref name="state"/> and returns the mixed output.</summary>
    public static ulong SplitMix64(ref ulong state)
    {
        var z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>
    /// Seed of sub-stream <paramref name="stream"/> of <paramref name="seed"/>, so that e.g. subset i of a
    /// seeded series is the same whatever the number of subsets drawn.
    /// </summary>
    public static ulong DeriveSeed(ulong seed, ulong stream)
    {
        var s = seed ^ (0xD1B54A32D192ED03UL * (stream + 1));
        _ = SplitMix64(ref s);
        return SplitMix64(ref s);
    }

    /// <summary>Next 64 uniformly distributed bits (xoshiro256**).</summary>
    public ulong NextUInt64()
    {
        var result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        var t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform integer in [0, <paramref name="exclusiveMax"/>) without modulo bias (Lemire 2019, rejection).</summary>
    public int NextInt(int exclusiveMax)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(exclusiveMax, 1);
        var range = (ulong)exclusiveMax;
        var product = Math.BigMul(NextUInt64(), range, out var low);
        if (low < range)
        {
            // 2^64 mod range: the low products below it belong to an over-represented bucket.
            var threshold = (0UL - range) % range;
            while (low < threshold)
                product = Math.BigMul(NextUInt64(), range, out low);
        }

        return (int)product;
    }

    /// <summary>Uniform shuffle in place (Fisher–Yates, from the back).</summary>
    public void Shuffle(Span<int> items)
    {
        for (var i = items.Length - 1; i > 0; i--)
        {
            var j = NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
