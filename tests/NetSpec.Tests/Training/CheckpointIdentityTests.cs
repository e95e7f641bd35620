using System.Text.Json.Nodes;
using NetSpec.Tests.Cli;

namespace NetSpec.Tests.Training;

/// <summary>
/// A checkpoint carries the identity of the run it resumes: resuming one written by another spec
/// (another seed, epochs, network) or other data is refused unless --warm-start is given, and a
/// checkpoint whose counters are corrupt is refused whatever the flags.
/// </summary>
[TestClass]
[DoNotParallelize]
public sealed class CheckpointIdentityTests
{
    private string _dir = "";

    [TestInitialize]
    public void Init()
    {
        _dir = Path.Combine(Path.GetTempPath(), "netspec-identity-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(_dir, "data"));
        File.Copy(Path.Combine(TestPaths.Specs, "data", "iris.csv"), Path.Combine(_dir, "data", "iris.csv"));
        File.WriteAllText(Spec, File.ReadAllText(Path.Combine(TestPaths.Specs, "iris.yaml")).Replace("epochs: 60", "epochs: 4", StringComparison.Ordinal)
            .Replace("checkpoint: {every: 10,", "checkpoint: {every: 2,", StringComparison.Ordinal).Replace("{min: 0.93}", "{min: 0}", StringComparison.Ordinal));
        var (code, _, err) = CliRunner.Invoke("run", Spec, "-q");
        Assert.AreEqual(0, code, err);
    }

    [TestCleanup]
    public void Cleanup()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private string Spec => Path.Combine(_dir, "iris.yaml");
    private string CheckpointPath => Path.Combine(_dir, "out", "iris.checkpoint.json");

    private (int Code, string Err) Resume(params string[] extra)
    {
        var (code, _, err) = CliRunner.Invoke(["run", Spec, "-q", "--resume", .. extra]);
        Assert.DoesNotContain("   at ", err);
        return (code, err);
    }

    [TestMethod]
    public void The_same_spec_resumes()
    {
        var (code, err) = Resume();
        Assert.AreEqual(0, code, err);
        Assert.AreEqual("", err);
    }

    [TestMethod]
    public void Another_seed_epochs_or_learning_rate_is_refused_and_warm_start_lifts_it()
    {
        string original = File.ReadAllText(Spec);
        foreach (var (from, to) in new[] { ("seed: 0", "seed: 5"), ("epochs: 4", "epochs: 6"), ("alpha: 0.01", "alpha: 0.02") })
        {
            Assert.Contains(from, original);
            File.WriteAllText(Spec, original.Replace(from, to, StringComparison.Ordinal));
            var (code, err) = Resume();
            Assert.AreEqual(64, code, $"{to}: {err}");
            Assert.Contains("another spec or other data wrote it", err);
            Assert.Contains("--warm-start resumes anyway", err);
        }
        (int c, string e) = Resume("--warm-start");
        Assert.AreEqual(0, c, e);
        File.WriteAllText(Spec, original.Replace("# the reference", "# edited comment: still the same run", StringComparison.Ordinal) + "\n# a comment\n");
        (c, e) = Resume();
        Assert.AreEqual(0, c, "comments are not part of the identity: " + e);
    }

    [TestMethod]
    public void Other_data_is_refused()
    {
        var csv = File.ReadAllLines(Path.Combine(_dir, "data", "iris.csv"));
        csv[1] = csv[1].Replace("5.1", "5.2", StringComparison.Ordinal);
        File.WriteAllLines(Path.Combine(_dir, "data", "iris.csv"), csv);
        var (code, err) = Resume();
        Assert.AreEqual(64, code, err);
        Assert.Contains("another spec or other data wrote it", err);
    }

    [TestMethod]
    public void Corrupt_counters_are_refused_even_with_warm_start()
    {
        foreach (var (key, value, message) in new[]
        {
            ("epochs_done", -3, "its epochs_done is -3, outside 0 to the spec's 4 epochs"),
            ("epochs_done", 1000000, "its epochs_done is 1000000, outside 0 to the spec's 4 epochs"),
            ("steps", -1, "its steps is -1"),
            ("optimizer_updates", -7, "its optimizer_updates is -7, below 0"),
        })
        {
            var json = JsonNode.Parse(File.ReadAllText(CheckpointPath))!;
            var saved = json.ToJsonString();
            json[key] = value;
            File.WriteAllText(CheckpointPath, json.ToJsonString());
            var (code, err) = Resume("--warm-start");
            Assert.AreEqual(64, code, $"{key} {value}: {err}");
            Assert.Contains(message, err);
            File.WriteAllText(CheckpointPath, saved);
        }
        var j = JsonNode.Parse(File.ReadAllText(CheckpointPath))!;
        j["steps"] = 3;
        File.WriteAllText(CheckpointPath, j.ToJsonString());
        var (c, e) = Resume();
        Assert.AreEqual(64, c, e);
        Assert.Contains("its steps is 3, but 4 epochs of 6 batches take 24", e);
    }
}
