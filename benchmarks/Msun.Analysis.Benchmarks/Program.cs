using System.Globalization;
using Msun.Analysis.Benchmarks;

// Every comparison runs ours and the peer in alternating rounds under the same pinned environment (see Rounds.cs,
// benchmarks/README.md) and writes its table and raw log to benchmarks/results/ (or --results DIR).
// dotnet run -c Release --project benchmarks/Msun.Analysis.Benchmarks -- linear-cka [--sizes 10000x2048] [--threads 1,2] [--rounds 5] [--kernel-only]
// dotnet run -c Release --project benchmarks/Msun.Analysis.Benchmarks -- training [--backbones resnet18-small,resnet18-imagenet-w32] [--batches 30] [--threads 1,2] [--rounds 5]
// dotnet run -c Release --project benchmarks/Msun.Analysis.Benchmarks -- training-breakdown [--batches 30]   (ms per phase of a step, ours and PyTorch)
// dotnet run -c Release --project benchmarks/Msun.Analysis.Benchmarks -- grid-cka [--model resnet18] [--batches 10] [--threads 1,2] [--rounds 5] [--no-e2e]
// dotnet run -c Release --project benchmarks/Msun.Analysis.Benchmarks -- study-breakdown [--batches 4] [--threads 1] [--peer float64|float32]   (CPU ms per phase of a study batch, ours, then the PyTorch peer's on the same images)
// dotnet run -c Release --project benchmarks/Msun.Analysis.Benchmarks -- study [--checkpoint DIR | --seed 0] [--workloads 2x128,5x1024] [--peers float64,float32] [--batch-size 128] [--threads 1,2] [--rounds 5]
// dotnet run -c Release --project benchmarks/Msun.Analysis.Benchmarks -- evaluation [--checkpoint DIR | --seed 0] [--images 1024] [--batch-size 256] [--threads 1,2] [--rounds 5]
// dotnet run -c Release --project benchmarks/Msun.Analysis.Benchmarks -- summarize benchmarks/results/X.jsonl   (the table of a raw log)
// Common: [--python /usr/bin/python3] [--results DIR] [--glibc-defaults] (both sides without the allocator setting)
string suite = args.Length > 0 && !args[0].StartsWith("--", StringComparison.Ordinal) ? args[0] : "linear-cka";
string Option(string name, string fallback)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
}

static int Int(string s) => int.Parse(s, CultureInfo.InvariantCulture);
int[] Threads() => Option("--threads", "1,2").Split(',').Select(Int).ToArray();
string python = Option("--python", "/usr/bin/python3");
string results = Option("--results", ResultsDirectory());
bool glibcDefaults = args.Contains("--glibc-defaults");
StudyBenchmark.ModelSource Source() =>
    new(args.Contains("--checkpoint") ? Path.GetFullPath(Option("--checkpoint", "")) : null, Int(Option("--seed", "0")));

switch (suite)
{
    case "linear-cka":
        return LinearCkaBenchmark.Run(Option("--sizes", "10000x2048"), Threads(), Int(Option("--rounds", "5")), python, results, glibcDefaults,
            args.Contains("--kernel-only"));
    case "linear-cka-worker":
        return LinearCkaBenchmark.Worker.Run(args[1], args[2], args[3]);
    case "training":
        return TrainingBenchmark.Run(Option("--backbones", "resnet18-small,resnet18-imagenet-w32").Split(','), Int(Option("--batches", "30")),
            Int(Option("--warmup", "3")), Int(Option("--batch-size", "128")), Threads(), Int(Option("--rounds", "5")), python, results, glibcDefaults);
    case "training-worker":
        return TrainingBenchmark.Worker(Option("--backbone", "resnet18-small"), Option("--dir", ""), Int(Option("--batches", "30")),
            Int(Option("--warmup", "3")), Int(Option("--batch-size", "128")), Int(Option("--threads", "1")));
    case "training-breakdown":
        return TrainingBreakdown.Run(Int(Option("--batches", "30")), Int(Option("--warmup", "5")), Int(Option("--batch-size", "128")),
            Int(Option("--threads", "0")));
    case "grid-cka":
        return GridCkaBenchmark.Run(Option("--model", "resnet18"), Int(Option("--size", "32")), Int(Option("--batches", "10")),
            Int(Option("--batch-size", "128")), Threads(), Int(Option("--rounds", "5")), python, results, glibcDefaults,
            !args.Contains("--no-e2e"), args.Contains("--keep") ? Option("--keep", "") : null);
    case "grid-cka-worker":
        return GridCkaBenchmark.Worker(Option("--mode", "cka"), Option("--dir", ""), Int(Option("--batches", "10")), Option("--model", "resnet18"),
            Int(Option("--size", "32")), Int(Option("--batch-size", "128")), Option("--precision", "float64"), Int(Option("--threads", "1")));
    case "study":
        return StudyBenchmark.RunStudy(Source(), Option("--workloads", "2x128,5x1024").Split(',').Select(StudyBenchmark.StudyWorkload.Parse).ToArray(),
            Option("--peers", "float64,float32").Split(','), Int(Option("--batch-size", "128")), Threads(), Int(Option("--rounds", "5")), python, results, glibcDefaults);
    case "study-breakdown":
        return StudyBreakdown.Run(Int(Option("--batches", "4")), Int(Option("--batch-size", "128")), Int(Option("--threads", "1")),
            Option("--peer", ""), python);
    case "study-worker":
        return StudyBenchmark.StudyWorker(Option("--dir", ""), Int(Option("--threads", "1")));
    case "evaluation":
        return StudyBenchmark.RunEvaluation(Source(), Int(Option("--images", "1024")), Int(Option("--batch-size", "256")), Threads(),
            Int(Option("--rounds", "5")), python, results, glibcDefaults);
    case "evaluation-worker":
        return StudyBenchmark.EvaluationWorker(Option("--dir", ""), Int(Option("--threads", "1")));
    case "summarize":
        Console.Write(Rounds.Summarize(args[1]));
        return 0;
    default:
        Console.Error.WriteLine($"unknown benchmark '{suite}'; known: linear-cka, training, training-breakdown, grid-cka, study, study-breakdown, evaluation, summarize LOG");
        return 2;
}

// benchmarks/results of the checkout this runs from (found upwards from the working directory), else ./benchmark-results.
static string ResultsDirectory()
{
    for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        if (File.Exists(Path.Combine(dir.FullName, "Msun.Analysis.sln")))
            return Path.Combine(dir.FullName, "benchmarks", "results");
    return Path.Combine(Directory.GetCurrentDirectory(), "benchmark-results");
}
