using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using NetSpec.Tests.Cli;

namespace NetSpec.Tests.Docs;

/// <summary>
/// docs/serving.md as written: its export commands run (bash, in a copy of digits' spec and data,
/// <c>netspec</c> being this build), its C# program compiles in a console project of its own
/// (ONNX Runtime at the version this test project uses, from the local package cache) and, run on
/// digits' 359 test rows in batches of 1, 7 and 64, predicts every row's digit as
/// <c>netspec predict</c> does, with the same probabilities to 1e-5.
/// </summary>
[TestClass]
public sealed partial class ServingSnippetTests
{
    private static string Doc() => File.ReadAllText(Path.Combine(TestPaths.Root, "docs", "serving.md")).Replace("\r\n", "\n", StringComparison.Ordinal);

    /// <summary>The fenced block of <paramref name="language"/> right after the marker <c>&lt;!-- NAME --&gt;</c>.</summary>
    internal static string Block(string doc, string marker, string language)
    {
        var m = Regex.Match(doc, $"<!-- {Regex.Escape(marker)} -->\n```{language}\n(.*?)\n```", RegexOptions.Singleline);
        Assert.IsTrue(m.Success, $"a ```{language} block after <!-- {marker} -->");
        return m.Groups[1].Value + "\n";
    }

    /// <summary>The version of <paramref name="package"/> that tests/NetSpec.Tests references.</summary>
    internal static string PackageVersion(string package)
    {
        var project = XDocument.Load(Path.Combine(TestPaths.Root, "tests", "NetSpec.Tests", "NetSpec.Tests.csproj"));
        return project.Descendants("PackageReference").Single(p => (string?)p.Attribute("Include") == package).Attribute("Version")!.Value;
    }

    /// <summary>A folder with a <c>netspec</c> command that runs this build's CLI (and Debian's python3 ahead of any other), to put first on PATH.</summary>
    internal static string Bin(string dir)
    {
        var bin = Directory.CreateDirectory(Path.Combine(dir, "bin")).FullName;
        var cli = Path.Combine(AppContext.BaseDirectory, "netspec.dll");
        Assert.IsTrue(File.Exists(cli), cli);
        var netspec = Path.Combine(bin, "netspec");
        File.WriteAllText(netspec, $"#!/bin/sh\nexec dotnet '{cli}' \"$@\"\n");
        if (OperatingSystem.IsWindows()) Assert.Inconclusive("the doc's commands are for a Unix shell");
        else File.SetUnixFileMode(netspec, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        if (File.Exists("/usr/bin/python3")) File.CreateSymbolicLink(Path.Combine(bin, "python3"), "/usr/bin/python3");
        return bin;
    }

    internal static (int Code, string Out, string Err) Process(string file, string dir, string? path, TimeSpan timeout, params string[] args)
    {
        var start = new ProcessStartInfo(file) { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        if (path is not null) start.Environment["PATH"] = path + ":" + Environment.GetEnvironmentVariable("PATH");
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        using var p = System.Diagnostics.Process.Start(start)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail($"{file} {string.Join(' ', args)} did not finish in {timeout}");
        }
        p.WaitForExit();
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>digits' spec and data, as the repository lays them out, in <paramref name="dir"/>.</summary>
    internal static void CopyDigits(string dir)
    {
        Directory.CreateDirectory(Path.Combine(dir, "specs", "data"));
        File.Copy(Path.Combine(TestPaths.Specs, "digits.yaml"), Path.Combine(dir, "specs", "digits.yaml"));
        foreach (var f in new[] { "digits-train.csv", "digits-test.csv" })
            File.Copy(Path.Combine(TestPaths.Specs, "data", f), Path.Combine(dir, "specs", "data", f));
    }

    [TestMethod]
    public void The_snippet_uses_the_onnx_runtime_version_the_doc_names()
    {
        StringAssert.Contains(Doc(), $"<PackageReference Include=\"Microsoft.ML.OnnxRuntime\" Version=\"{PackageVersion("Microsoft.ML.OnnxRuntime")}\" />");
    }

    [TestMethod]
    [Timeout(900_000, CooperativeCancellation = true)]
    public void The_served_model_predicts_every_row_as_netspec_predict_for_batches_of_1_7_and_64()
    {
        var doc = Doc();
        var dir = Directory.CreateTempSubdirectory("netspec-serving-").FullName;
        try
        {
            CopyDigits(dir);
            var bin = Bin(dir);

            var commands = Block(doc, "serving-export", "sh");
            var (code, output, err) = Process("bash", dir, bin, TimeSpan.FromMinutes(5), "-euo", "pipefail", "-c", commands);
            Assert.AreEqual(0, code, $"the export commands of docs/serving.md:\n{commands}\n{output}\n{err}");
            Assert.IsTrue(File.Exists(Path.Combine(dir, "digits.onnx")), output + err);

            // The program, in a console project of its own that restores from the local package cache only.
            var serve = Directory.CreateDirectory(Path.Combine(dir, "serve")).FullName;
            File.WriteAllText(Path.Combine(serve, "Program.cs"), Block(doc, "serving-snippet", "csharp"));
            File.WriteAllText(Path.Combine(serve, "serve.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <OutputType>Exe</OutputType>
                    <TargetFramework>net10.0</TargetFramework>
                    <Nullable>enable</Nullable>
                    <ImplicitUsings>enable</ImplicitUsings>
                    <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
                    <NuGetAudit>false</NuGetAudit>
                  </PropertyGroup>
                  <ItemGroup>
                    <PackageReference Include="Microsoft.ML.OnnxRuntime" Version="{PackageVersion("Microsoft.ML.OnnxRuntime")}" />
                  </ItemGroup>
                </Project>
                """);
            string cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } env
                ? env : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
            File.WriteAllText(Path.Combine(serve, "nuget.config"), $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <packageSources>
                    <clear />
                    <add key="local-cache" value="{cache}" />
                  </packageSources>
                </configuration>
                """);
            (code, output, err) = Process("dotnet", serve, null, TimeSpan.FromMinutes(8), "build", "-c", "Release", "-nologo", "-v", "q");
            Assert.AreEqual(0, code, $"the program of docs/serving.md does not build:\n{output}\n{err}");

            // netspec predict: probabilities (softmax of the scores) and the class, per row.
            var rows = Path.Combine(dir, "specs", "data", "digits-test.csv");
            var (predictCode, predictions, predictErr) = CliRunner.Invoke("predict", Path.Combine(dir, "specs", "digits.yaml"), "--input", rows);
            Assert.AreEqual(0, predictCode, predictErr);
            var expected = predictions.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(l => l.Split(',')).ToList();
            Assert.HasCount(File.ReadAllLines(rows).Length - 1, expected);

            var program = Path.Combine(serve, "bin", "Release", "net10.0", "serve.dll");
            foreach (var batch in new[] { 1, 7, 64 })
            {
                (code, output, err) = Process("dotnet", dir, null, TimeSpan.FromMinutes(3), program, "digits.onnx", rows, batch.ToString(CultureInfo.InvariantCulture));
                Assert.AreEqual(0, code, err);
                var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
                Assert.HasCount(expected.Count, lines, $"batch {batch}");
                for (int r = 0; r < lines.Length; r++)
                {
                    var fields = lines[r].Split(' ');
                    Assert.HasCount(11, fields, lines[r]);
                    Assert.AreEqual(expected[r][10], fields[0], $"batch {batch}, row {r + 1}: the digit");
                    var scores = fields[1..].Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToArray();
                    double max = scores.Max(), sum = scores.Sum(s => Math.Exp(s - max));
                    for (int k = 0; k < 10; k++)
                    {
                        double p = Math.Exp(scores[k] - max) / sum, q = double.Parse(expected[r][k], CultureInfo.InvariantCulture);
                        Assert.IsLessThanOrEqualTo(1e-5, Math.Abs(p - q), $"batch {batch}, row {r + 1}, digit {k}: {p} served, {q} predicted");
                    }
                }
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
