using System.CommandLine;
using Msun.Analysis.Cli.Commands;

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
