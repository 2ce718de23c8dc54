using System.CommandLine;
using Msun.Analysis.Cli.Commands;
using Msun.Analysis.Torch;

// Training and evaluation re-allocate the same activation buffers every batch: keep them on the heap (see NativeAllocator).
NativeAllocator.KeepFreedMemory();

var root = new RootCommand("msun: layer-wise CKA across input scales, split recommendation and MSUN training.")
{
    CkaCommand.Create(),
    ScaleCkaCommand.Create(),
    TrainCommand.Create(),
    EvaluateCommand.Create(),
    StudyScalesCommand.Create(),
    RecommendSplitCommand.Create(),
    MacsCommand.Create(),
    ReportCommand.Create(),
    ReproduceCommand.Create(),
};
return root.Parse(args).Invoke();
