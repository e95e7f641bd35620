using System.Diagnostics;

namespace NetSpec.Tests.Onnx;

/// <summary>
/// Runs Python scripts of tools/ from tests: the interpreter is $NETSPEC_PYTHON when set, else the
/// first of python3 on the PATH and /usr/bin/python3 (Debian's, where python3-onnx and
/// python3-torch install) that imports the modules a test needs.
/// </summary>
internal static class TestPython
{
    /// <summary>A Python that imports <paramref name="modules"/> (e.g. "onnx"), or null with why not.</summary>
    public static (string? Python, string Reason) Find(string modules)
    {
        var env = Environment.GetEnvironmentVariable("NETSPEC_PYTHON");
        string[] candidates = string.IsNullOrEmpty(env) ? ["python3", "/usr/bin/python3"] : [env];
        var reasons = new List<string>();
        foreach (var python in candidates)
        {
            try
            {
                var (code, output) = Run(python, ["-c", $"import {modules}"], TimeSpan.FromMinutes(2));
                if (code == 0) return (python, "");
                reasons.Add($"{python}: {output.Trim().Split('\n')[^1]}");
            }
            catch (System.ComponentModel.Win32Exception e)
            {
                reasons.Add($"{python}: {e.Message}");
            }
        }
        return (null, $"no Python here imports {modules} ({string.Join("; ", reasons)})");
    }

    /// <summary>Runs <paramref name="python"/> with <paramref name="args"/>; the exit code and stdout then stderr.</summary>
    public static (int Code, string Output) Run(string python, IReadOnlyList<string> args, TimeSpan timeout)
    {
        var psi = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            return (-1, $"{python} {string.Join(" ", args.Take(1))} did not finish in {timeout.TotalMinutes} minutes\n{stdout.Result}{stderr.Result}");
        }
        return (p.ExitCode, stdout.Result + stderr.Result);
    }
}
