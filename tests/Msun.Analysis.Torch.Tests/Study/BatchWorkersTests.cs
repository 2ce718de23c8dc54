using Msun.Analysis.Torch.Study;
using static TorchSharp.torch;

namespace Msun.Analysis.Torch.Tests.Study;

[Collection("Torch")]
public sealed class BatchWorkersTests
{
    [Fact]
    public void ResultsArriveInOrderWithAtMostWorkersPlusOneWaiting()
    {
        const int count = 40, workers = 3;
        int produced = 0, consumed = 0, mostWaiting = 0;
        var order = new List<int>();
        var producers = new HashSet<int>();
        int callerThread = Environment.CurrentManagedThreadId;
        BatchWorkers.Run(count, workers, i =>
        {
            Thread.Sleep(7 * ((i * 7919) % 5)); // finish out of order
            lock (producers)
            {
                producers.Add(Environment.CurrentManagedThreadId);
                mostWaiting = Math.Max(mostWaiting, ++produced - Volatile.Read(ref consumed));
            }
            return i * i;
        }, (i, square) =>
        {
            Assert.Equal(callerThread, Environment.CurrentManagedThreadId);
            Assert.Equal(i * i, square);
            order.Add(i);
            Interlocked.Increment(ref consumed);
        }, default);

        Assert.Equal(Enumerable.Range(0, count), order);
        Assert.DoesNotContain(callerThread, producers);
        Assert.InRange(producers.Count, 2, workers);
        Assert.InRange(mostWaiting, 1, workers + 1);
    }

    [Fact]
    public void OneWorkerRunsEverythingOnTheCallingThread()
    {
        int caller = Environment.CurrentManagedThreadId;
        var seen = new List<(int, int)>();
        BatchWorkers.Run(5, 1, i => (i, Environment.CurrentManagedThreadId), (i, r) => seen.Add((r.i, r.Item2)), default);
        Assert.Equal(Enumerable.Range(0, 5).Select(i => (i, caller)), seen);
    }

    [Fact]
    public void AWorkersExceptionIsRethrownAfterTheResultsBeforeIt()
    {
        int threads = get_num_threads();
        var consumed = new List<int>();
        var error = Assert.Throws<ArgumentException>(() => BatchWorkers.Run(30, 2,
            i => i == 11 ? throw new ArgumentException("batch 11") : i, (i, _) => consumed.Add(i), default));
        Assert.Equal("batch 11", error.Message);
        Assert.Equal(Enumerable.Range(0, 11), consumed);
        Assert.Equal(threads, get_num_threads());
    }

    [Fact]
    public void TheCallersErrorAndCancellationStopTheWorkers()
    {
        int started = 0;
        Assert.Throws<FormatException>(() => BatchWorkers.Run(1000, 2, i => Interlocked.Increment(ref started),
            (i, _) => { if (i == 4) throw new FormatException("consumer"); }, default));
        Assert.InRange(Volatile.Read(ref started), 5, 5 + 3); // the window: nothing more than two workers plus one was started

        using var cancel = new CancellationTokenSource();
        Assert.ThrowsAny<OperationCanceledException>(() => BatchWorkers.Run(1000, 2, i => i,
            (i, _) => { if (i == 6) cancel.Cancel(); }, cancel.Token));
    }
}
