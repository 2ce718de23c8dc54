using System.Diagnostics;
using Msun.Analysis.Cli.Commands;
using Msun.Analysis.Core.Tests;
using Msun.Analysis.Reports.Tests;
using Msun.Analysis.Torch.Data;

namespace Msun.Analysis.Cli.Tests;

/// <summary>
/// How a command brings the Debian packages it needs: the CLI's decision (which package, reported how), the install
/// script build/debian-packages.sh and the ./msun wrapper that connects them. The script and the wrapper run against
/// stand-ins for id, sudo, dpkg-query, apt-cache, apt-get and dotnet placed first on PATH, which record what they are
/// asked; nothing is installed.
/// </summary>
public sealed class DebianPackagesTests : IDisposable
{
    private readonly TempFolder tmp = new();
    private string Fakes => Directory.CreateDirectory(Path.Combine(tmp.Path, "fakes")).FullName;
    private string Log => Path.Combine(tmp.Path, "calls.log");

    public void Dispose() => tmp.Dispose();

    [Fact]
    public void Every_package_the_cli_names_is_in_the_shared_list()
    {
        Assert.Equal(["dataset-fashion-mnist", "libopenblas0-pthread", "chromium"], DebianPackages.All.Keys);
        Assert.NotEmpty(DebianPackages.Describe(DebianPackages.OpenBlas));
        Assert.NotEmpty(DebianPackages.Describe(DebianPackages.Chromium));
        foreach (var name in DatasetManifestLoader.BuiltInNames)
        {
            var source = DatasetManifestLoader.LoadBuiltIn(name).Source;
            if (source.Kind == "debian-package") Assert.Contains(source.Package!, DebianPackages.All.Keys);
        }
        Assert.Throws<InvalidOperationException>(() => DebianPackages.Describe("sl"));
    }

    [Fact]
    public void A_dataset_is_a_missing_package_only_in_its_package_folder_with_files_missing()
    {
        var fashion = DatasetManifestLoader.LoadBuiltIn("fashion-mnist");
        string packageFolder = Directory.CreateDirectory(Path.Combine(tmp.Path, "fashion-mnist")).FullName;
        var manifest = fashion with { Source = fashion.Source with { DefaultRoot = packageFolder } };

        Assert.Equal("dataset-fashion-mnist", DebianPackages.MissingForDataset(manifest, packageFolder));
        Assert.Equal("dataset-fashion-mnist", DebianPackages.MissingForDataset(manifest, packageFolder + "/"));
        Assert.Null(DebianPackages.MissingForDataset(manifest, tmp.Path)); // a folder the user chose: bad input, not a package
        foreach (var f in manifest.Files.Skip(1)) File.WriteAllText(Path.Combine(packageFolder, f.Path), "");
        Assert.Equal("dataset-fashion-mnist", DebianPackages.MissingForDataset(manifest, packageFolder)); // one file still missing
        File.WriteAllText(Path.Combine(packageFolder, manifest.Files[0].Path), "");
        Assert.Null(DebianPackages.MissingForDataset(manifest, packageFolder)); // present (verification then judges content)
        var cifar = DatasetManifestLoader.LoadBuiltIn("cifar-10");
        Assert.Null(DebianPackages.MissingForDataset(cifar, tmp.Path)); // a download, not a package
    }

    [Fact]
    public void A_missing_package_is_reported_to_the_wrapper_or_with_the_commands()
    {
        var e = new MissingDebianPackageException("chromium", "/usr/bin/chromium does not exist");
        string file = Path.Combine(tmp.Path, "missing");

        var toWrapper = new StringWriter();
        DebianPackages.Report("report", e, toWrapper, file, privileged: false);
        Assert.Equal("chromium\n", File.ReadAllText(file));
        Assert.Equal($"msun report: needs the Debian package chromium ({DebianPackages.Describe("chromium")}): /usr/bin/chromium does not exist\n",
            toWrapper.ToString().ReplaceLineEndings("\n"));

        var user = new StringWriter();
        DebianPackages.Report("report", e, user, null, privileged: false);
        Assert.Contains("install it with: sudo apt-get update && sudo apt-get install -y chromium", user.ToString());
        var root = new StringWriter();
        DebianPackages.Report("report", e, root, null, privileged: true);
        Assert.Contains("install it with: apt-get update && apt-get install -y chromium", root.ToString());
    }

    [Fact]
    public void Without_installs_the_script_prints_the_exact_commands_and_exits_3()
    {
        Fake("id", "echo 1000");
        Fake("sudo", "exit 0"); // passwordless sudo: installing would be possible, MSUN_NO_INSTALL forbids it
        NotInstalled();
        var run = Script(new() { ["MSUN_NO_INSTALL"] = "1" }, "chromium", "dataset-fashion-mnist");

        Assert.Equal(3, run.ExitCode);
        Assert.Contains("msun: not installing (MSUN_NO_INSTALL=1); run:\n  sudo apt-get update\n  sudo apt-get install -y chromium dataset-fashion-mnist\n", run.Stderr);
        Assert.Contains("needs the Debian package chromium: PNG export", run.Stderr);
        Assert.False(File.Exists(Log) && File.ReadAllText(Log).Contains("apt-get"));
    }

    [Fact]
    public void Without_root_or_passwordless_sudo_the_script_prints_the_commands()
    {
        Fake("id", "echo 1000");
        Fake("sudo", "[ \"$1\" = -n ] && exit 1; exit 0");
        NotInstalled();
        var run = Script([], "libopenblas0-pthread");

        Assert.Equal(3, run.ExitCode);
        Assert.Contains("not installing (you are not root and sudo asks for a password); run:\n  sudo apt-get update\n  sudo apt-get install -y libopenblas0-pthread\n", run.Stderr);
    }

    [Fact]
    public void As_root_the_script_updates_stale_lists_then_installs()
    {
        Fake("id", "echo 0");
        NotInstalled();
        Fake("apt-cache", "printf '%s:\\n  Installed: (none)\\n  Candidate: (none)\\n' \"$2\""); // lists without the package
        Fake("apt-get", $"echo \"apt-get $*\" >> '{Log}'");
        var run = Script([], "chromium");

        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Equal(["apt-get update -qq", "apt-get install -y -qq chromium"], File.ReadAllLines(Log));
        Assert.Contains("msun: apt-get install -y chromium", run.Stderr);
        Assert.Contains("needs the Debian package chromium: PNG export", run.Stderr);
    }

    [Fact]
    public void The_script_refuses_a_package_outside_the_list()
    {
        var run = Script([], "sl");
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("sl is not a package of", run.Stderr);
    }

    [Fact]
    public void The_wrapper_installs_what_the_cli_reports_and_runs_the_command_again()
    {
        string artifacts = FakeCli();
        Fake("id", "echo 0");
        Fake("dpkg-query", "printf 'install ok installed'"); // installed, but the CLI found its files missing: reinstall
        Fake("apt-cache", "printf '%s:\\n  Candidate: 1.0\\n' \"$2\"");
        Fake("apt-get", $"echo \"apt-get $*\" >> '{Log}'");
        var run = Wrapper(new() { ["MSUN_ARTIFACTS"] = artifacts }, "report", "results", "--png");

        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Equal("ran report results --png\n", run.Stdout);
        Assert.Contains("apt-get install -y -qq --reinstall chromium", File.ReadAllLines(Log));
        Assert.Contains("msun: the Debian package chromium is installed but its files are missing", run.Stderr);
    }

    [Fact]
    public void With_installs_off_the_wrapper_prints_the_commands_and_exits_3()
    {
        string artifacts = FakeCli();
        Fake("id", "echo 0");
        NotInstalled();
        var run = Wrapper(new() { ["MSUN_ARTIFACTS"] = artifacts, ["MSUN_NO_INSTALL"] = "1" }, "report", "results", "--png");

        Assert.Equal(3, run.ExitCode);
        Assert.Equal("", run.Stdout); // not run again
        Assert.Contains("run:\n  apt-get update\n  apt-get install -y chromium\n", run.Stderr);
    }

    // A stand-in msun.dll run by a stand-in dotnet: the first run reports chromium missing, the next one succeeds.
    private string FakeCli()
    {
        string artifacts = Path.Combine(tmp.Path, "artifacts");
        string dll = Path.Combine(Directory.CreateDirectory(Path.Combine(artifacts, "bin", "Msun.Analysis.Cli", "release")).FullName, "msun.dll");
        File.WriteAllText(dll, ""); // newer than every source: the wrapper does not build
        string once = Path.Combine(tmp.Path, "reported");
        Fake("dotnet", $"""
            shift
            if [ ! -e '{once}' ]; then touch '{once}'; echo chromium >> "$MSUN_MISSING_PACKAGES_FILE"; echo 'msun report: needs chromium' >&2; exit 3; fi
            echo "ran $*"
            """);
        return artifacts;
    }

    private void NotInstalled() => Fake("dpkg-query", "echo \"dpkg-query: package '$4' is not installed\" >&2; exit 1");

    private void Fake(string name, string body)
    {
        string path = Path.Combine(Fakes, name);
        File.WriteAllText(path, "#!/usr/bin/env bash\n" + body + "\n");
        if (OperatingSystem.IsWindows()) throw new PlatformNotSupportedException("apt-get and the ./msun wrapper are Debian's");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    private MsunProcess.Outcome Script(Dictionary<string, string> environment, params string[] packages) =>
        Bash(environment, Path.Combine(TestPaths.RepoRoot, "build", "debian-packages.sh"), packages);

    private MsunProcess.Outcome Wrapper(Dictionary<string, string> environment, params string[] args) =>
        Bash(environment, Path.Combine(TestPaths.RepoRoot, "msun"), args);

    private MsunProcess.Outcome Bash(Dictionary<string, string> environment, string script, string[] args)
    {
        var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = tmp.Path };
        info.ArgumentList.Add(script);
        foreach (string a in args) info.ArgumentList.Add(a);
        info.Environment["PATH"] = Fakes + ":" + Environment.GetEnvironmentVariable("PATH");
        info.Environment.Remove("MSUN_NO_INSTALL");
        foreach (var (key, value) in environment) info.Environment[key] = value;
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        string stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return new MsunProcess.Outcome(process.ExitCode, stdout.Result, stderr);
    }
}
