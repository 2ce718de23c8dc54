// Notebook 4 without a notebook kernel: a .NET 10 file-based app (the route Microsoft recommends for C# after the
// deprecation of .NET Interactive). From the repository root:
//   dotnet run notebooks/04-redraw-figures.cs [RESULTS_FOLDER] [OUT_FOLDER] [--png]
// Same library calls as the notebook and `./msun report RESULTS --figures`: every figure the saved results allow, one
// self-contained report.html and each figure as its own page (and PNG with --png, through Debian's chromium).
#:project ../src/Msun.Analysis.Reports/Msun.Analysis.Reports.csproj
#:property TreatWarningsAsErrors=true
// File-based apps default to Native AOT, which turns off the reflection-based JSON the result files are read with.
#:property PublishAot=false

using Msun.Analysis.Reports;

string here = Path.GetDirectoryName(AppContext.GetData("EntryPointFilePath") as string ?? "notebooks/04-redraw-figures.cs")!;
string[] positional = args.Where(a => !a.StartsWith("--", StringComparison.Ordinal)).ToArray();
string resultsFolder = positional.Length > 0 ? positional[0] : Path.Combine(here, "sample-results");
string outDir = Directory.CreateDirectory(positional.Length > 1 ? positional[1] : Path.Combine(here, "results", "04-redraw-figures")).FullName;

var results = ResultsFolder.Load(resultsFolder);
var report = MsunReport.Build(results);
string reportPath = Path.Combine(outDir, "report.html");
report.Save(reportPath);
var figures = report.SaveFigures(Path.Combine(outDir, "figures"), html: true, png: args.Contains("--png"));
Console.WriteLine($"{results.Count} result files under {results.Root}: {report.Figures.Count} figures");
Console.WriteLine(reportPath);
foreach (var file in figures) Console.WriteLine(file);
