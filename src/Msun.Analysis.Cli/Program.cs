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
    StudyCommand.Create(),
};
var parse = root.Parse(args);
if (parse.Errors.Count > 0)
{
    // A malformed command line is bad input like any other (exit 2, one line naming the option); exit 1 means an internal failure.
    string name = parse.CommandResult.Command == root ? "" : " " + parse.CommandResult.Command.Name;
    foreach (var error in parse.Errors)
        Console.Error.WriteLine($"msun{name}: error: {error.Message.ReplaceLineEndings(" ")}");
    return CliErrors.BadInput;
}
// Stops libtorch's failing NNPACK start-up from printing a warning per small convolution on CPUs it does not know. Only
// for the commands that run networks: loading libtorch costs ~0.5 s, which cka, recommend-split and report never pay.
if (parse.CommandResult.Command != root && parse.CommandResult.Command.Name is not ("cka" or "recommend-split" or "report"))
    LibTorchSwitches.TurnOffNnpack();

return parse.Invoke();
