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
