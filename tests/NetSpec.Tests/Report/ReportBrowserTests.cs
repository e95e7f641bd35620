using System.Globalization;
using Microsoft.Playwright;
using NetSpec.Runtime;
using NetSpec.Runtime.Explain;
using NetSpec.Runtime.Graph;
using NetSpec.Runtime.Trace;
using NetSpec.Tests.Cli;

namespace NetSpec.Tests.Report;

/// <summary>
/// The HTML report in a real browser: Debian's Chromium (/usr/bin/chromium, or NETSPEC_CHROMIUM),
/// driven by Playwright's .NET driver, which never downloads a browser here. Without Chromium
/// every test is inconclusive and says why (.ci/run installs it with apt-get when missing).
/// </summary>
[TestClass]
[DoNotParallelize]
public sealed class ReportBrowserTests
{
    private static IPlaywright? s_playwright;
    private static IBrowser? s_browser;
    private static string? s_unavailable;
    private static string s_folder = "";

    public TestContext TestContext { get; set; } = null!;

    /// <summary>Where Chromium is: NETSPEC_CHROMIUM, else Debian's.</summary>
    private static string ChromiumPath => Environment.GetEnvironmentVariable("NETSPEC_CHROMIUM") is { Length: > 0 } p ? p : "/usr/bin/chromium";

    [ClassInitialize]
    public static async Task Start(TestContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        // Kept after the run (the screenshots are the test's artefacts): bin/.../TestResults/report-browser.
        s_folder = Path.Combine(AppContext.BaseDirectory, "TestResults", "report-browser");
        Directory.CreateDirectory(s_folder);
        if (!File.Exists(ChromiumPath))
        {
            s_unavailable = $"Chromium is not installed at {ChromiumPath} (Debian: apt-get install chromium; .ci/run installs it when missing), so the HTML report cannot be tested in a browser";
            return;
        }
        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        try
        {
            s_playwright = await Playwright.CreateAsync();
            s_browser = await s_playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = ChromiumPath, Headless = true });
        }
        catch (PlaywrightException e)
        {
            s_unavailable = $"Chromium at {ChromiumPath} could not be started by Playwright: {e.Message}";
        }
    }

    [ClassCleanup]
    public static async Task Stop()
    {
        if (s_browser is not null) await s_browser.DisposeAsync();
        s_playwright?.Dispose();
    }

    private static IBrowser Browser()
    {
        if (s_unavailable is not null) Assert.Inconclusive(s_unavailable);
        return s_browser!;
    }

    /// <summary>Writes the report of a spec with <c>netspec report</c> and returns its path.</summary>
    private static string Report(string spec, params string[] extra)
    {
        string path = Path.Combine(s_folder, Path.GetFileNameWithoutExtension(spec) + ".html");
        var (code, _, err) = CliRunner.Invoke(["report", Path.Combine(TestPaths.Specs, spec), "-o", path, "--quiet", .. extra]);
        Assert.AreEqual(0, code, err);
        return path;
    }

    /// <summary>A page on the report with every request routed: only the file itself is served, anything else is aborted and recorded.</summary>
    private static async Task<(IPage Page, List<string> Requests, List<string> Errors)> Open(string path)
    {
        var page = await Browser().NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 1000 } });
        var requests = new List<string>();
        var errors = new List<string>();
        string url = new Uri(path).AbsoluteUri;
        await page.RouteAsync("**/*", async route =>
        {
            lock (requests) requests.Add(route.Request.Url);
            if (route.Request.Url == url) await route.ContinueAsync();
            else await route.AbortAsync();
        });
        page.Console += (_, m) => { if (m.Type is "error" or "warning") lock (errors) errors.Add($"console {m.Type}: {m.Text}"); };
        page.PageError += (_, e) => { lock (errors) errors.Add("page error: " + e); };
        page.RequestFailed += (_, r) => { if (r.Url != url) lock (errors) errors.Add("request failed: " + r.Url); };
        await page.GotoAsync(url, new PageGotoOptions { WaitUntil = WaitUntilState.Load });
        return (page, requests, errors);
    }

    [TestMethod]
    public async Task The_report_loads_with_no_console_error_and_no_request_but_its_own_file()
    {
        string path = Report("lab07.yaml");
        var (page, requests, errors) = await Open(path);
        await page.ClickAsync("#graph [data-node='J']");
        await page.WaitForSelectorAsync("#detail-body[data-node='J']");
        CollectionAssert.AreEqual(new[] { new Uri(path).AbsoluteUri }, requests, "the report fetched something besides itself");
        Assert.AreEqual(0, errors.Count, string.Join("\n", errors));
        Assert.AreEqual("lab07: NetSpec report", await page.TitleAsync());
        await page.CloseAsync();
    }

    [TestMethod]
    public async Task The_graph_has_one_clickable_node_per_spec_value_with_its_kind()
    {
        var graph = NetSpecEngine.Load(Path.Combine(TestPaths.Specs, "lab07.yaml")).Graph!;
        var (page, _, _) = await Open(Report("lab07.yaml"));
        var nodes = await page.Locator("#graph [data-node]").AllAsync();
        var shown = new Dictionary<string, string>();
        foreach (var n in nodes) shown[(await n.GetAttributeAsync("data-node"))!] = (await n.GetAttributeAsync("data-kind"))!;
        Assert.AreEqual(graph.Values.Count, nodes.Count);
        foreach (var v in graph.Values)
        {
            string kind = v.Kind switch { ValueKind.Data => "data", ValueKind.Parameter => "parameter", _ => v.Name == "J" ? "objective" : "op" };
            Assert.AreEqual(kind, shown[v.Name], v.Name);
        }
        // 13 edges: lab07's node inputs (x, W, b; z; h, M, c; o, y; W, M; L, S).
        Assert.AreEqual(13, await page.Locator("#graph .edge").CountAsync());
        await page.CloseAsync();
    }

    [TestMethod]
    public async Task Clicking_a_node_shows_its_arithmetic_as_the_notes_write_it()
    {
        var (page, _, errors) = await Open(Report("lab07.yaml"));
        await page.ClickAsync("#graph [data-node='z']");
        await page.WaitForSelectorAsync("#detail-body[data-node='z'] .eq");
        var lines = await page.Locator("#detail-body .eq").EvaluateAllAsync<string[]>("es => es.map(e => e.dataset.text)");
        Assert.IsTrue(lines.Any(l => l.StartsWith("z_1 = ", StringComparison.Ordinal) && l.EndsWith(" = 24", StringComparison.Ordinal)),
            "no z_1 line ending in 24 among:\n" + string.Join("\n", lines));
        // It is MathML that the browser lays out: a subscript z_1 with its own box.
        Assert.IsTrue(await page.Locator("#detail-body .eq math msub").CountAsync() > 0);
        var box = await page.Locator("#detail-body .eq math").First.BoundingBoxAsync();
        Assert.IsNotNull(box);
        Assert.IsTrue(box.Width > 50 && box.Height > 10, $"the equation is laid out {box.Width}x{box.Height}");

        // A parameter shows its update, W*_11 = 1 - (0.001)(20.1) = 0.9799 (lab07 notes).
        await page.ClickAsync("#graph [data-node='W']");
        await page.WaitForSelectorAsync("#detail-body[data-node='W'] .eq");
        lines = await page.Locator("#detail-body .eq").EvaluateAllAsync<string[]>("es => es.map(e => e.dataset.text)");
        CollectionAssert.Contains(lines, "W*_11 = 1 - (0.001)(20.1) = 0.9799");
        Assert.AreEqual(0, errors.Count, string.Join("\n", errors));

        await page.ClickAsync("#graph [data-node='z']");
        await page.WaitForSelectorAsync("#detail-body[data-node='z'] .eq");
        // Tall enough for the graph and z's arithmetic: the picture in README and docs/report.md.
        await page.SetViewportSizeAsync(1400, 1500);
        string shot = Path.Combine(s_folder, "report-lab07.png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = shot, FullPage = false });
        Assert.IsTrue(new FileInfo(shot).Length > 10_000, "the screenshot is nearly empty");
        TestContext.AddResultFile(shot);
        await page.CloseAsync();
    }

    [TestMethod]
    public async Task The_values_shown_are_the_traces()
    {
        var loaded = NetSpecEngine.Load(Path.Combine(TestPaths.Specs, "lab07.yaml"));
        var trace = new CollectingTraceSink();
        NetSpecEngine.Run(loaded.Graph!, trace: trace);
        var (page, _, _) = await Open(Report("lab07.yaml"));
        foreach (var (name, kind, phase) in new[] { ("z", "forward", TracePhase.Forward), ("L", "forward", TracePhase.Forward), ("W", "gradient", TracePhase.Backward), ("M", "updated", TracePhase.Update) })
        {
            await page.ClickAsync($"#graph [data-node='{name}']");
            await page.WaitForSelectorAsync($"#detail-body[data-node='{name}']");
            var e = trace.Events.Single(t => t.Phase == phase && t.Name == name);
            var cells = page.Locator($"#detail-body table.tensor[data-kind='{kind}'] td[data-index]");
            Assert.AreEqual(e.Values.Length, await cells.CountAsync(), $"{kind} {name}");
            for (int i = 0; i < e.Values.Length; i++)
            {
                var cell = cells.Nth(i);
                double shown = double.Parse((await cell.GetAttributeAsync("data-value"))!, CultureInfo.InvariantCulture);
                Assert.AreEqual(e.Values[i], shown, $"{kind} {name}[{i}]");
                Assert.AreEqual(NumberText.Of(e.Values[i], 7).Mantissa, await cell.InnerTextAsync(), $"{kind} {name}[{i}] as shown");
            }
        }
        // The update shows the value before the step too.
        var before = page.Locator("#detail-body table.tensor[data-kind='old'] td[data-index='0']");
        Assert.AreEqual("4", await before.InnerTextAsync());
        await page.CloseAsync();
    }

    [TestMethod]
    public async Task The_step_selector_shows_each_steps_values()
    {
        var loaded = NetSpecEngine.Load(Path.Combine(TestPaths.Specs, "optimizer-momentum.yaml"));
        var trace = new CollectingTraceSink();
        NetSpecEngine.Run(loaded.Graph!, trace: trace);
        var (page, _, errors) = await Open(Report("optimizer-momentum.yaml"));
        Assert.AreEqual(2, await page.Locator("#step option").CountAsync());
        string param = loaded.Graph!.Values.First(v => v.Kind == ValueKind.Parameter).Name;
        await page.ClickAsync($"#graph [data-node='{param}']");
        foreach (int step in new[] { 2, 1 })
        {
            await page.SelectOptionAsync("#step", (step - 1).ToString(CultureInfo.InvariantCulture));
            var e = trace.Events.Single(t => t.Phase == TracePhase.Update && t.Step == step && t.Name == param);
            var cell = page.Locator("#detail-body table.tensor[data-kind='updated'] td[data-index='0']");
            Assert.AreEqual(e.Values[0], double.Parse((await cell.GetAttributeAsync("data-value"))!, CultureInfo.InvariantCulture), $"step {step}");
            Assert.AreEqual($"step {step}", await page.InnerTextAsync("#values-step"));
            var lines = await page.Locator("#detail-body .eq").EvaluateAllAsync<string[]>("es => es.map(e => e.dataset.text)");
            Assert.IsTrue(lines.Length > 0, $"step {step} shows no arithmetic for {param}");
        }
        Assert.AreEqual(0, errors.Count, string.Join("\n", errors));
        await page.CloseAsync();
    }

    [TestMethod]
    public async Task A_training_report_shows_its_learning_curves_and_metrics()
    {
        var (page, requests, errors) = await Open(Report("iris.yaml"));
        int epochs = NetSpecEngine.Load(Path.Combine(TestPaths.Specs, "iris.yaml")).Graph!.Spec.Training!.Epochs;
        var points = await page.GetAttributeAsync("polyline[data-series='train_loss']", "points");
        Assert.AreEqual(epochs, points!.Split(' ').Length);
        Assert.IsTrue(await page.Locator("polyline[data-series='validation_accuracy']").CountAsync() == 1);
        Assert.IsTrue(await page.Locator("tr[data-metric='test_accuracy']").CountAsync() >= 1);
        // The traced step 1 is shown, and the arithmetic is said to be absent.
        await page.ClickAsync("#graph [data-node='z']");
        await page.WaitForSelectorAsync("#detail-body[data-node='z'] table.tensor");
        StringAssert.Contains(await page.InnerTextAsync("#explanation"), "training spec");
        CollectionAssert.AreEqual(new[] { new Uri(Path.Combine(s_folder, "iris.html")).AbsoluteUri }, requests);
        Assert.AreEqual(0, errors.Count, string.Join("\n", errors));
        string shot = Path.Combine(s_folder, "report-iris.png");
        await page.Locator("#training").ScreenshotAsync(new LocatorScreenshotOptions { Path = shot });
        TestContext.AddResultFile(shot);
        await page.CloseAsync();
    }

    [TestMethod]
    public async Task Every_worked_specs_report_loads_cleanly_and_explains_its_last_node()
    {
        Browser();
        int specs = 0;
        foreach (var file in TestPaths.SpecFiles().Select(f => (string)f[0]))
        {
            var graph = NetSpecEngine.Load(Path.Combine(TestPaths.Specs, file)).Graph!;
            if (graph.Spec.Training is not null) continue;
            var (page, requests, errors) = await Open(Report(file));
            Assert.AreEqual(graph.Values.Count, await page.Locator("#graph [data-node]").CountAsync(), file);
            string last = graph.Nodes[^1].Name;
            await page.ClickAsync($"#graph [data-node='{last}']");
            await page.WaitForSelectorAsync($"#detail-body[data-node='{last}'] table.tensor");
            Assert.IsTrue(await page.Locator("#detail-body .eq math").CountAsync() > 0, $"{file}: no arithmetic for {last}");
            Assert.AreEqual(1, requests.Count, $"{file}: {string.Join(", ", requests)}");
            Assert.AreEqual(0, errors.Count, $"{file}: {string.Join("\n", errors)}");
            await page.CloseAsync();
            specs++;
        }
        Assert.IsTrue(specs > 30, $"only {specs} specs");
    }

    [TestMethod]
    public async Task A_name_with_markup_stays_text()
    {
        // A description that would close the data script if it were pasted in raw.
        string spec = Path.Combine(s_folder, "markup.yaml");
        string text = File.ReadAllText(Path.Combine(TestPaths.Specs, "relu-forward.yaml"));
        text = System.Text.RegularExpressions.Regex.Replace(text, "(?m)^description:.*(\\n  .*)*", "description: \"</script><script>document.title='injected'</script> <!-- & <b>\"");
        File.WriteAllText(spec, text);
        string path = Path.Combine(s_folder, "markup.html");
        var (code, _, err) = CliRunner.Invoke("report", spec, "-o", path, "--quiet");
        Assert.AreEqual(0, code, err);
        var (page, _, errors) = await Open(path);
        Assert.AreEqual(0, errors.Count, string.Join("\n", errors));
        StringAssert.Contains(await page.TitleAsync(), "NetSpec report");
        StringAssert.Contains(await page.InnerTextAsync("header .description"), "</script><script>");
        Assert.IsTrue(await page.Locator("#graph [data-node]").CountAsync() > 0);
        await page.CloseAsync();
    }
}
