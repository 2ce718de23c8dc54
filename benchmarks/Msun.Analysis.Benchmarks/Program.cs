using Msun.Analysis.Benchmarks;

// dotnet run -c Release --project benchmarks/Msun.Analysis.Benchmarks -- [linear-cka] [--sizes 10000x2048,5000x4096] [--repeats 3]
// dotnet run -c Release --project benchmarks/Msun.Analysis.Benchmarks -- training [--batches 60] [--warmup 5] [--batch-size 128] [--threads N] [--rounds 3]
// dotnet run -c Release --project benchmarks/Msun.Analysis.Benchmarks -- training-breakdown [--batches 30]   (ms per phase of a step, ours and PyTorch)
string suite = args.Length > 0 && !args[0].StartsWith("--", StringComparison.Ordinal) ? args[0] : "linear-cka";
string Option(string name, string fallback)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
}

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
            Option("--python", "/usr/bin/python3"));
    case "training-breakdown":
        return TrainingBreakdown.Run(
            int.Parse(Option("--batches", "30"), System.Globalization.CultureInfo.InvariantCulture),
            int.Parse(Option("--warmup", "5"), System.Globalization.CultureInfo.InvariantCulture),
            int.Parse(Option("--batch-size", "128"), System.Globalization.CultureInfo.InvariantCulture),
            int.Parse(Option("--threads", "0"), System.Globalization.CultureInfo.InvariantCulture),
            Option("--python", "/usr/bin/python3"));
    default:
        Console.Error.WriteLine($"unknown benchmark '{suite}'; known: linear-cka, training, training-breakdown");
        return 2;
}
