using Msun.Analysis.Core.Cka;
using Msun.Analysis.Torch.Study;

namespace Msun.Analysis.Torch.Tests.Study;

/// <summary>The study's options build the pairwise engine's options: one record for the user, each rule in one place.</summary>
public class ScaleStudyOptionsTests
{
    [Fact]
    public void EachProbeRunsThePairwiseEngineWithTheStudysEstimatorKernelAndHsic()
    {
        var rbf = new ScaleStudyOptions(28, [14], estimator: StudyEstimator.Rbf, sigmaFraction: 0.25);
        var withGrid = rbf.Comparison(fullGrid: true);

        Assert.Equal(StudyEstimator.Rbf, withGrid.Estimator);
        Assert.Equal(CkaKernel.Rbf(0.25), withGrid.Kernel); // the study's bandwidth, not the engine's default 0.5
        Assert.Equal(rbf.Kernel, withGrid.Kernel);
        Assert.Equal(HsicEstimator.Unbiased, withGrid.Hsic);
        Assert.Equal(RaggedBatchPolicy.DropFinal, withGrid.Ragged); // the engine alone fails on a short batch; the study drops it
        Assert.True(withGrid.FullGrid);
        Assert.False(rbf.Comparison(fullGrid: false).FullGrid);

        // The streaming HSIC choice reaches the engine; the minibatch forms stay unbiased whatever it says.
        var streaming = new ScaleStudyOptions(28, [14], 64, estimator: StudyEstimator.Streaming, streamingHsic: HsicEstimator.Biased);
        Assert.Equal(HsicEstimator.Biased, streaming.Comparison(fullGrid: false).Hsic);
        Assert.Equal(HsicEstimator.Biased, streaming.Hsic);
        Assert.Equal(CkaKernel.Linear, streaming.Kernel);
        Assert.Equal(HsicEstimator.Unbiased, new ScaleStudyOptions(28, [14], streamingHsic: HsicEstimator.Biased).Hsic);
    }

    [Fact]
    public void UnknownEstimatorsAreStillRefused()
    {
        Assert.Equal("estimator", Assert.Throws<ArgumentOutOfRangeException>(() => new ScaleStudyOptions(28, [14], estimator: (StudyEstimator)99)).ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ScaleStudyOptions(28, [14], streamingHsic: (HsicEstimator)7));
    }
}

/// <summary>How many batches a study runs at once by default: libtorch's threads while their activations fit the budget.</summary>
[Collection("Torch")]
public sealed class ParallelBatchesRuleTests
{
    private const long MB = 1 << 20;

    [Fact]
    public void TheDefaultRunsOneBatchPerThreadWhileTheBatchesInFlightFitTheBudget()
    {
        Assert.Equal(1024 * MB, ScaleStudyOptions.ParallelActivationBytes);
        int threads = TorchSharp.torch.get_num_threads();
        try
        {
            TorchSharp.torch.set_num_threads(4);
            var options = new ScaleStudyOptions(28, [14]);
            Assert.Equal(4, options.ParallelBatchesOn(TorchSharp.torch.CPU, () => 100 * MB)); // 10 fit, 4 threads
            Assert.Equal(2, options.ParallelBatchesOn(TorchSharp.torch.CPU, () => 300 * MB)); // 3 fit: 2 running + 1 waiting
            Assert.Equal(1, options.ParallelBatchesOn(TorchSharp.torch.CPU, () => 600 * MB)); // never fewer than one
            Assert.Equal(1, options.ParallelBatchesOn(new TorchSharp.torch.Device(TorchSharp.DeviceType.CUDA), () => throw new InvalidOperationException("not asked on a GPU")));
            Assert.Equal(3, (options with { ParallelBatches = 3 }).ParallelBatchesOn(TorchSharp.torch.CPU, () => throw new InvalidOperationException("not asked when given")));
            TorchSharp.torch.set_num_threads(1);
            Assert.Equal(1, options.ParallelBatchesOn(TorchSharp.torch.CPU, () => MB));
        }
        finally
        {
            TorchSharp.torch.set_num_threads(threads);
        }
        Assert.Equal("ParallelBatches", Assert.Throws<ArgumentOutOfRangeException>(() => new ScaleStudyOptions(28, [14]) with { ParallelBatches = 0 }).ParamName);
    }
}
