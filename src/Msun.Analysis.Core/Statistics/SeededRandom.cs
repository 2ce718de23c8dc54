namespace Msun.Analysis.Core.Statistics;

/// <summary>
/// xoshiro256** (Blackman and Vigna, "Scrambled linear pseudorandom number generators", 2021), seeded
/// through SplitMix64 as its authors recommend. Ours rather than <see cref="Random"/> because the
/// algorithm behind <c>new Random(seed)</c> may change between .NET versions, and a seed in a result's
/// provenance must reproduce the same resamples forever. Not MathNet.Numerics' <c>Xoshiro256StarStar</c> either: it
/// seeds from a 32-bit int (ours from 64 bits, with derived per-resample streams) and maps to doubles differently, so
/// the seeds recorded in existing result files would stop reproducing their resamples. Not thread-safe; not for cryptography.
/// </summary>
public sealed class SeededRandom
{
    private ulong _s0, _s1, _s2, _s3;

    /// <summary>A generator whose four state words are the first four SplitMix64 outputs from <paramref name="seed"/>.</summary>
    public SeededRandom(ulong seed)
    {
        ulong sm = seed;
        _s0 = SplitMix64(ref sm);
        _s1 = SplitMix64(ref sm);
        _s2 = SplitMix64(ref sm);
        _s3 = SplitMix64(ref sm);
    }

    private SeededRandom(ulong s0, ulong s1, ulong s2, ulong s3)
    {
        if ((s0 | s1 | s2 | s3) == 0)
            throw new ArgumentException("the xoshiro256** state must not be all zero.");
        (_s0, _s1, _s2, _s3) = (s0, s1, s2, s3);
    }

    /// <summary>A generator with the given raw state (not all zero); for checking against the reference implementation.</summary>
    internal static SeededRandom FromState(ulong s0, ulong s1, ulong s2, ulong s3) => new(s0, s1, s2, s3);

    /// <summary>
    /// Generator number <paramref name="stream"/> of a family derived from <paramref name="seed"/>: the seed
    /// and the stream index are hashed with the SplitMix64 finaliser before seeding. Resample b of a
    /// bootstrap uses stream b, so its indices do not depend on the order (or thread) in which resamples run.
    /// </summary>
    public static SeededRandom ForStream(ulong seed, ulong stream) => new(DeriveSeed(seed, stream));

    /// <summary>The seed of stream <paramref name="stream"/> of <paramref name="seed"/> (see <see cref="ForStream"/>); stable forever.</summary>
    public static ulong DeriveSeed(ulong seed, ulong stream)
    {
        ulong a = seed;
        ulong mixedSeed = SplitMix64(ref a);
        ulong b = stream ^ mixedSeed;
        return SplitMix64(ref b);
    }

    /// <summary>
    /// One step of SplitMix64 (Steele, Lea and Flood 2014; the constants of Vigna's splitmix64.c):
    /// advances <paramref name="state"/> by the golden-ratio increment and returns the mixed value.
    /// </summary>
    public static ulong SplitMix64(ref ulong state)
    {
        ulong z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>The next 64 random bits (xoshiro256**: rotl(s1 · 5, 7) · 9, then the linear state update).</summary>
    public ulong NextUInt64()
    {
        ulong result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>A uniform double in [0, 1): the top 53 bits times 2⁻⁵³ (Vigna's recommended conversion).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>
    /// A uniform integer in [0, <paramref name="bound"/>) without modulo bias: Lemire's multiply-and-reject
    /// method ("Fast random integer generation in an interval", ACM TOMACS 2019).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The bound is not positive.</exception>
    public int NextInt(int bound)
    {
        if (bound <= 0)
            throw new ArgumentOutOfRangeException(nameof(bound), bound, "the bound of a random integer must be positive.");
        ulong s = (ulong)bound;
        ulong high = Math.BigMul(NextUInt64(), s, out ulong low);
        if (low < s)
        {
            ulong threshold = (0UL - s) % s;
            while (low < threshold)
                high = Math.BigMul(NextUInt64(), s, out low);
        }
        return (int)high;
    }

    /// <summary>A standard normal variate (Marsaglia's polar method), for seeded test data and simulations.</summary>
    public double NextGaussian()
    {
        double u, v, s;
        do
        {
            u = 2 * NextDouble() - 1;
            v = 2 * NextDouble() - 1;
            s = u * u + v * v;
        }
        while (s >= 1 || s == 0);
        return u * Math.Sqrt(-2 * Math.Log(s) / s);
    }

    /// <summary>Shuffles <paramref name="values"/> in place, every order equally likely (Fisher–Yates, Durstenfeld's form).</summary>
    public void Shuffle<T>(Span<T> values)
    {
        for (int i = values.Length - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (values[i], values[j]) = (values[j], values[i]);
        }
    }

    /// <summary>A uniformly random permutation of 0 .. n − 1.</summary>
    public int[] Permutation(int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        var p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        Shuffle<int>(p);
        return p;
    }

    /// <summary>n indices drawn uniformly with replacement from 0 .. n − 1 (one bootstrap resample).</summary>
    public int[] Resample(int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        var indices = new int[n];
        for (int i = 0; i < n; i++) indices[i] = NextInt(n);
        return indices;
    }

    /// <summary>
    /// <paramref name="count"/> distinct indices from 0 .. n − 1, in random order (a partial Fisher–Yates):
    /// one random subset for the repeated-subsets protocol.
    /// </summary>
    public int[] Subset(int n, int count)
    {
        if (count < 0 || count > n)
            throw new ArgumentOutOfRangeException(nameof(count), count, $"cannot draw {count} distinct indices from {n}.");
        var all = new int[n];
        for (int i = 0; i < n; i++) all[i] = i;
        for (int i = 0; i < count; i++)
        {
            int j = i + NextInt(n - i);
            (all[i], all[j]) = (all[j], all[i]);
        }
        return all[..count];
    }
}
