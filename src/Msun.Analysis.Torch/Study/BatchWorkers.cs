using TorchSharp;

namespace Msun.Analysis.Torch.Study;

/// <summary>
/// Batch-level parallelism for inference loops: several threads each run whole batches with one libtorch thread, and
/// the caller's thread receives the results in batch order. On a CPU, small-image forward passes gain little from
/// libtorch's intra-op threads: the benchmark study (56 px) ran 1.35× faster on 2 threads that way, 1.6× with two
/// batches at once (benchmarks/README.md).
/// </summary>
internal static class BatchWorkers
{
    /// <summary>
    /// Runs <paramref name="produce"/>(i) for every i in [0, count) on <paramref name="workers"/> threads and hands each
    /// result to <paramref name="consume"/> on the calling thread, in order of i; at most workers + 1 results exist at a
    /// time. With one worker everything runs on the calling thread. An exception of produce(i) is rethrown here once
    /// every result before i has been consumed; it, an exception of consume or a cancellation stops every worker, and
    /// returns only after they have ended, with libtorch's thread count what it was before.
    /// </summary>
    public static void Run<T>(int count, int workers, Func<int, T> produce, Action<int, T> consume, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfLessThan(workers, 1);
        if (workers == 1 || count <= 1)
        {
            for (int i = 0; i < count; i++)
            {
                ct.ThrowIfCancellationRequested();
                consume(i, produce(i));
            }
            return;
        }

        int threadsBefore = torch.get_num_threads();
        var results = Enumerable.Range(0, count).Select(_ => new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var window = new SemaphoreSlim(workers + 1);
        int next = -1;
        void Work()
        {
            torch.set_num_threads(1); // this thread's forwards run single-threaded; the caller's count is restored below
            while (true)
            {
                try
                {
                    window.Wait(stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                int i = Interlocked.Increment(ref next);
                if (i >= count) return;
                try
                {
                    results[i].SetResult(produce(i));
                }
                catch (Exception e)
                {
                    results[i].SetException(e); // thrown by the caller's thread once it gets there
                    return;
                }
            }
        }

        var threads = Enumerable.Range(0, Math.Min(workers, count)).Select(w => new Thread(Work) { IsBackground = true, Name = $"batch worker {w + 1}" }).ToList();
        threads.ForEach(t => t.Start());
        try
        {
            // Every job up to the last one taken gets a result or an exception, so this never waits for a job nobody has.
            for (int i = 0; i < count; i++)
            {
                var task = results[i].Task;
                Task.WaitAny([task], ct);
                consume(i, task.GetAwaiter().GetResult());
                window.Release();
            }
        }
        finally
        {
            stop.Cancel();
            threads.ForEach(t => t.Join());
            torch.set_num_threads(threadsBefore);
        }
    }
}
