using System.Diagnostics;
using System.Globalization;
using NetSpec.Fuzz;

// netspec-fuzz: mutates the valid specs in specs/ and runs each mutant through NetSpec, for a
// count or a time. Every finding (an exception, a diagnostic without a position, a case that
// hangs) is saved to a file to reproduce it.
long count = long.MaxValue;
double seconds = double.PositiveInfinity;
int seed = 1;
string? specs = null;
string outDir = "fuzz-findings";
int chain = 0;
for (int i = 0; i < args.Length; i++)
{
    string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
    switch (args[i])
    {
        case "--count": count = long.Parse(Next(), CultureInfo.InvariantCulture); break;
        case "--seconds": seconds = double.Parse(Next(), CultureInfo.InvariantCulture); break;
        case "--seed": seed = int.Parse(Next(), CultureInfo.InvariantCulture); break;
        case "--specs": specs = Next(); break;
        case "--out": outDir = Next(); break;
        case "--chain": chain = int.Parse(Next(), CultureInfo.InvariantCulture); break;
        default:
            Console.Error.WriteLine("usage: netspec-fuzz [--count N | --seconds S] [--seed K] [--specs DIR] [--out DIR] [--chain NODES]");
            return 64;
    }
}
if (count == long.MaxValue && double.IsPositiveInfinity(seconds)) count = 10_000;
specs ??= FindSpecs();
var inputs = Directory.EnumerateFiles(specs, "*.yaml").Order(StringComparer.Ordinal).Select(File.ReadAllText).ToArray();
// --chain N adds a generated N-node chain (declared last to first) to the specs mutated, so the
// size class (long graphs, far references, mistakes deep in them) is fuzzed too.
if (chain > 0)
{
    var text = new System.Text.StringBuilder("netspec: 1\ndata:\n  x: [[1, 2]]\n  one: [1]\nnetwork:\n");
    for (int k = chain; k >= 1; k--) text.Append($"  n{k}: {{op: add, a: {(k == 1 ? "x" : $"n{k - 1}")}, b: one}}\n");
    inputs = [.. inputs, text.ToString()];
}
if (inputs.Length == 0)
{
    Console.Error.WriteLine($"netspec-fuzz: no *.yaml in '{specs}'");
    return 64;
}
Console.WriteLine($"netspec-fuzz: {inputs.Length} specs from {specs}, seed {seed}, " +
                  (count != long.MaxValue ? $"{count} cases" : $"{seconds} s"));

// A watchdog: a case running longer than 10 s is a hang; save it and stop.
long started = Stopwatch.GetTimestamp();
long caseStart = 0;
string current = "";
var watchdog = new Thread(() =>
{
    while (true)
    {
        Thread.Sleep(1000);
        long s = Interlocked.Read(ref caseStart);
        if (s != 0 && Stopwatch.GetElapsedTime(s).TotalSeconds > 10)
        {
            string file = Save(outDir, "hang", Volatile.Read(ref current));
            Console.WriteLine($"HANG: a case ran for more than 10 s; input saved to {file}");
            Environment.Exit(1);
        }
    }
}) { IsBackground = true };
watchdog.Start();

long ran = 0, valid = 0, invalid = 0, findings = 0;
var slowest = TimeSpan.Zero;
for (long i = 0; i < count; i++)
{
    if (Stopwatch.GetElapsedTime(started).TotalSeconds >= seconds) break;
    var rng = new Random(unchecked(seed * 1_000_003 + (int)i));
    string text = SpecMutator.Mutate(inputs[rng.Next(inputs.Length)], rng);
    Volatile.Write(ref current, text);
    long t0 = Stopwatch.GetTimestamp();
    Interlocked.Exchange(ref caseStart, t0);
    var result = FuzzCase.Run(text);
    Interlocked.Exchange(ref caseStart, 0);
    var took = Stopwatch.GetElapsedTime(t0);
    if (took > slowest) slowest = took;
    ran++;
    switch (result.Outcome)
    {
        case FuzzOutcome.Valid: valid++; break;
        case FuzzOutcome.Invalid: invalid++; break;
        default:
            findings++;
            string file = Save(outDir, $"case{i}", text);
            Console.WriteLine($"FINDING in case {i} (input saved to {file}):");
            Console.WriteLine("  " + result.Problem!.Replace("\n", "\n  ", StringComparison.Ordinal));
            break;
    }
    if (ran % 100_000 == 0)
        Console.WriteLine($"  {ran} cases, {Stopwatch.GetElapsedTime(started).TotalSeconds:F0} s, {findings} findings");
}
var elapsed = Stopwatch.GetElapsedTime(started);
Console.WriteLine($"ran {ran} cases in {elapsed.TotalSeconds:F1} s ({ran / Math.Max(elapsed.TotalSeconds, 1e-9):F0}/s): " +
                  $"{valid} valid, {invalid} invalid, {findings} findings; slowest case {slowest.TotalMilliseconds:F1} ms");
return findings > 0 ? 1 : 0;

static string Save(string dir, string name, string text)
{
    Directory.CreateDirectory(dir);
    string file = Path.Combine(dir, name + ".yaml");
    File.WriteAllText(file, text);
    return file;
}

static string FindSpecs()
{
    var dir = new DirectoryInfo(Directory.GetCurrentDirectory());
    while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "NetSpec.sln"))) dir = dir.Parent;
    return dir is null ? "specs" : Path.Combine(dir.FullName, "specs");
}
