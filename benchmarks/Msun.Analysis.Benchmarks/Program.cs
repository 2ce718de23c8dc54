using Msun.Analysis.Benchmarks;

// dotnet run -c Release --project benchmarks/Msun.Analysis.Benchmarks -- [linear-cka] [--sizes 10000x2048,5000x4096] [--repeats 3]
// dotnet run -c Release --project benchmarks/Msun.Analysis.Benchmarks -- training [--batches 60] [--warmup 5] [--batch-size 128] [--threads N] [--rounds 3] [--glibc-defaults] [--peer-tuned]
// dotnet run -c Release --project benchmarks/Msun.Analysis.Benchmarks -- training-breakdown [--batches 30]   (ms per phase of a step, ours and PyTorch)
// dotnet run -c Release --project benchmarks/Msun.Analysis.Benchmarks -- grid-cka [--model resnet18|resnet18-small] [--size 32]
//     [--batches 10] [--batch-size 128] [--repeats 3] [--no-e2e] [--keep DIR]   (see GridCkaBenchmark.cs, benchmarks/GRID-CKA.md)
string suite = args.Length > 0 && !args[0].StartsWith("--", StringComparison.Ordinal) ? args[0] : "linear-cka";
string Option(string name, string fallback)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
}

static int Int(string s) => int.Parse(s, System.Globalization.CultureInfo.InvariantCulture);

switch (suite)
{
    case "linear-cka":
        return LinearCkaBenchmark.Run(
            Option("--sizes", "10000x2048,5000x4096"),
            int.Parse(Option("--repeats", "3"), System.Globalization.CultureInfo.InvariantCulture),
            Option("--python", "/usr/bin/python3"));
    case "training":
        return TrainingBenchmark.Run(
            int.Parse(Option("--batches", "60"), System.Globalization.CultureInfo.InvariantCulture),
            int.Parse(Option("--warmup", "5"), System.Globalization.CultureInfo.InvariantCulture),
            int.Parse(Option("--batch-size", "128"), System.Globalization.CultureInfo.InvariantCulture),
            int.Parse(Option("--threads", "0"), System.Globalization.CultureInfo.InvariantCulture),
            int.Parse(Option("--rounds", "3"), System.Globalization.CultureInfo.InvariantCulture),
            Option("--python", "/usr/bin/python3"), args.Contains("--glibc-defaults"), args.Contains("--peer-tuned"));
    case "training-breakdown":
        return TrainingBreakdown.Run(
            int.Parse(Option("--batches", "30"), System.Globalization.CultureInfo.InvariantCulture),
            int.Parse(Option("--warmup", "5"), System.Globalization.CultureInfo.InvariantCulture),
            int.Parse(Option("--batch-size", "128"), System.Globalization.CultureInfo.InvariantCulture),
            int.Parse(Option("--threads", "0"), System.Globalization.CultureInfo.InvariantCulture),
            Option("--python", "/usr/bin/python3"));
    case "grid-cka":
        return GridCkaBenchmark.Run(Option("--model", "resnet18"), Int(Option("--size", "32")), Int(Option("--batches", "10")),
            Int(Option("--batch-size", "128")), Int(Option("--repeats", "3")), Option("--python", "/usr/bin/python3"),
            !args.Contains("--no-e2e"), args.Contains("--keep") ? Option("--keep", "") : null);
    case "grid-cka-worker":
        return GridCkaBenchmark.Worker(Option("--mode", "cka"), Option("--dir", ""), Int(Option("--batches", "10")), Option("--model", "resnet18"),
            Int(Option("--size", "32")), Int(Option("--batch-size", "128")), Option("--precision", "float64"));
    default:
        Console.Error.WriteLine($"unknown benchmark '{suite}'; known: linear-cka, training, training-breakdown, grid-cka");
        return 2;
}
