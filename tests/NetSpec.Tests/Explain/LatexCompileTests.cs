using System.Diagnostics;
using NetSpec.Tests.Cli;

namespace NetSpec.Tests.Explain;

/// <summary>
/// The LaTeX NetSpec writes compiles with pdflatex (Debian's texlive-latex-base and
/// texlive-latex-recommended; .ci/run installs them when missing): <c>run --explain --format
/// latex</c> of lab07, a LaTeX worksheet and its key, and a nice-number variant's worksheet, each
/// compiled in a temporary folder with -halt-on-error; page 1 rendered by pdftoppm (poppler-utils)
/// has ink on it. Without pdflatex or pdftoppm the test is inconclusive and says which is missing.
/// </summary>
[TestClass]
[DoNotParallelize]
public sealed class LatexCompileTests
{
    private string _dir = "";

    [TestInitialize]
    public void Init()
    {
        _dir = Path.Combine(Path.GetTempPath(), "netspec-latex-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
    }

    [TestCleanup]
    public void Cleanup()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static string? OnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, tool)).FirstOrDefault(File.Exists);

    private static (int Code, string Output) Exec(string tool, string folder, params string[] args)
    {
        var psi = new ProcessStartInfo(tool) { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(180_000))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail($"{tool} {string.Join(" ", args)} did not finish in 3 minutes");
        }
        return (p.ExitCode, stdout.Result + stderr.Result);
    }

    [TestMethod]
    public void The_explanation_and_worksheets_compile_with_pdflatex_and_page_one_is_not_blank()
    {
        string? pdflatex = OnPath("pdflatex"), pdftoppm = OnPath("pdftoppm");
        if (pdflatex is null || pdftoppm is null)
            Assert.Inconclusive($"{(pdflatex is null ? "pdflatex (apt-get install texlive-latex-base texlive-latex-recommended)" : "pdftoppm (apt-get install poppler-utils)")} is not installed, so the LaTeX output cannot be compiled here");
        string lab07 = Path.Combine(TestPaths.Specs, "lab07.yaml");
        Check(CliRunner.Invoke("run", lab07, "--explain", "--quiet", "--format", "latex", "--explain-file", Path.Combine(_dir, "explain.tex")));
        Check(CliRunner.Invoke("worksheet", lab07, "--format", "latex", "--blank", "gradients", "-o", Path.Combine(_dir, "sheet.tex")));
        Check(CliRunner.Invoke("worksheet", lab07, "--format", "latex", "--nice", "--seed", "5", "-o", Path.Combine(_dir, "nice.tex")));
        foreach (var name in new[] { "explain", "sheet", "sheet-key", "nice", "nice-key" })
        {
            var (code, log) = Exec(pdflatex, _dir, "-interaction=nonstopmode", "-halt-on-error", name + ".tex");
            Assert.AreEqual(0, code, $"{name}.tex does not compile:\n{string.Join("\n", log.Split('\n').TakeLast(40))}");
            Assert.IsTrue(File.Exists(Path.Combine(_dir, name + ".pdf")), name + ".pdf");
            var (ppm, ppmLog) = Exec(pdftoppm, _dir, "-gray", "-r", "50", "-f", "1", "-l", "1", "-singlefile", name + ".pdf", name + "-page1");
            Assert.AreEqual(0, ppm, ppmLog);
            var (width, height, dark) = DarkPixels(File.ReadAllBytes(Path.Combine(_dir, name + "-page1.pgm")));
            // A page of text at 50 dpi: about 425 x 550 pixels, a few thousand of them ink.
            Assert.IsGreaterThan(300, width);
            Assert.IsGreaterThan(300, height);
            Assert.IsGreaterThan(1000, dark, $"{name}.pdf page 1 is blank ({dark} dark pixels of {width * height})");
        }
    }

    private static void Check((int Code, string Out, string Err) r) => Assert.AreEqual(0, r.Code, r.Out + r.Err);

    /// <summary>A binary PGM (P5, 8-bit): its size and the pixels darker than mid-grey.</summary>
    private static (int Width, int Height, int Dark) DarkPixels(byte[] pgm)
    {
        int pos = 0;
        string Token()
        {
            while (pos < pgm.Length && (char.IsWhiteSpace((char)pgm[pos]) || pgm[pos] == '#'))
            {
                if (pgm[pos] == '#') while (pos < pgm.Length && pgm[pos] != '\n') pos++;
                else pos++;
            }
            int start = pos;
            while (pos < pgm.Length && !char.IsWhiteSpace((char)pgm[pos])) pos++;
            return System.Text.Encoding.ASCII.GetString(pgm, start, pos - start);
        }
        Assert.AreEqual("P5", Token());
        int w = int.Parse(Token(), System.Globalization.CultureInfo.InvariantCulture);
        int h = int.Parse(Token(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.AreEqual("255", Token());
        pos++;
        Assert.AreEqual(w * h, pgm.Length - pos, "the PGM holds one byte per pixel");
        int dark = 0;
        for (int i = pos; i < pgm.Length; i++) if (pgm[i] < 128) dark++;
        return (w, h, dark);
    }
}
