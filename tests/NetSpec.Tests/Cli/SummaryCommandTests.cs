using System.Text.Json;

namespace NetSpec.Tests.Cli;

/// <summary>
/// <c>netspec summary</c>: parameters, shapes and FLOPs of real specs, against hand arithmetic.
/// digits is 64-128-64-10: W1 128 x 64 + b1 128 = 8,320; W2 64 x 128 + b2 64 = 8,256; W3 10 x 64
/// + b3 10 = 650; 17,226 in all.
/// </summary>
[TestClass]
public sealed class SummaryCommandTests
{
    private static string Spec(string name) => Path.Combine(TestPaths.Specs, name);

    [TestMethod]
    public void Digits_totals_17226_parameters_all_trainable()
    {
        var (code, output, err) = CliRunner.Invoke("summary", Spec("digits.yaml"));
        Assert.AreEqual(0, code, err);
        StringAssert.Contains(output, "Total parameters: 17,226 (67.3 KiB)"); // 17,226 x 4 bytes = 68,904 B
        StringAssert.Contains(output, "trainable: 17,226");
        StringAssert.Contains(output, "frozen:    0 (0 B)");
        StringAssert.Contains(output, "8,320 (W1, b1)");
        StringAssert.Contains(output, "8,256 (W2, b2)");
        StringAssert.Contains(output, "650 (W3, b3)");
        StringAssert.Contains(output, "batch size 32");
        // Redirected output is plain ASCII.
        Assert.IsTrue(output.All(c => c < 128), output);
    }

    [TestMethod]
    public void Digits_as_json_has_the_totals_shapes_and_flops_of_hand_arithmetic()
    {
        var (code, output, err) = CliRunner.Invoke("summary", Spec("digits.yaml"), "--format", "json");
        Assert.AreEqual(0, code, err);
        using var doc = JsonDocument.Parse(output);
        var root = doc.RootElement;
        var totals = root.GetProperty("totals");
        Assert.AreEqual(17226, totals.GetProperty("parameters").GetInt64());
        Assert.AreEqual(17226, totals.GetProperty("trainable").GetInt64());
        Assert.AreEqual(0, totals.GetProperty("frozen").GetInt64());
        Assert.AreEqual(17226 * 4, totals.GetProperty("parameter_bytes").GetInt64());
        Assert.AreEqual(32, root.GetProperty("batch_size").GetInt32());
        var values = root.GetProperty("values").EnumerateArray().ToDictionary(v => v.GetProperty("name").GetString()!);
        var z1 = values["z1"];
        CollectionAssert.AreEqual(new[] { 128 }, z1.GetProperty("shape_per_sample").EnumerateArray().Select(e => e.GetInt32()).ToArray());
        CollectionAssert.AreEqual(new[] { 32, 128 }, z1.GetProperty("shape_at_batch").EnumerateArray().Select(e => e.GetInt32()).ToArray());
        // z1 = linear(x, W1, b1) for one sample: 64·128 MACs = 16,384 FLOPs + 128 bias adds.
        // Backward in training: dJ/dW1 16,384 + dJ/db1 128, no dJ/dx for the data.
        Assert.AreEqual(16512, z1.GetProperty("flops_per_sample").GetProperty("forward").GetDouble());
        Assert.AreEqual(16512, z1.GetProperty("flops_per_sample").GetProperty("backward").GetDouble());
        // z2 takes dJ/dh1 as well: 2·128·64 for dJ/dh1, the same for dJ/dW2, 64 for dJ/db2.
        Assert.AreEqual(32832, values["z2"].GetProperty("flops_per_sample").GetProperty("backward").GetDouble());
        // At the batch of 32, the linear layers cost 32 times as much.
        Assert.AreEqual(32 * 16512, z1.GetProperty("flops_at_batch").GetProperty("forward").GetDouble());
        // Activations: node outputs at batch 32, float32: z1, h1 32x128; z2, h2 32x64; o 32x10; L, S, J scalars.
        Assert.AreEqual((2 * 32 * 128 + 2 * 32 * 64 + 32 * 10 + 3) * 4, totals.GetProperty("activation_bytes_at_batch").GetInt64());
    }

    [TestMethod]
    public void Running_statistics_count_as_frozen_parameters()
    {
        // batch-norm.yaml: two batch_norm nodes, each with scale, bias (trained) and running mean
        // and variance (state): 3 + 3 + 3 + 3 and 2 + 2 + 2 + 2 values, 10 trained, 10 frozen.
        var (code, output, err) = CliRunner.Invoke("summary", Spec("batch-norm.yaml"), "-f", "json");
        Assert.AreEqual(0, code, err);
        using var doc = JsonDocument.Parse(output);
        var totals = doc.RootElement.GetProperty("totals");
        Assert.AreEqual(20, totals.GetProperty("parameters").GetInt64());
        Assert.AreEqual(10, totals.GetProperty("frozen").GetInt64());
        var frozen = doc.RootElement.GetProperty("parameters").EnumerateArray().Where(p => !p.GetProperty("trainable").GetBoolean()).Select(p => p.GetProperty("name").GetString()).ToArray();
        CollectionAssert.AreEquivalent(new[] { "rm1", "rv1", "rm2", "rv2" }, frozen);
    }

    [TestMethod]
    public void Data_at_two_batch_sizes_have_no_per_sample_figures()
    {
        // batch-norm.yaml holds two independent examples, of 4 and of 2 samples: no one batch axis.
        var (_, output, _) = CliRunner.Invoke("summary", Spec("batch-norm.yaml"));
        StringAssert.Contains(output, "the spec's data as written: no batch axis found");
        StringAssert.Contains(output, "FLOPs per sample: unknown");
    }

    [TestMethod]
    public void A_batch_norm_network_has_per_sample_figures_and_its_running_statistics_are_frozen()
    {
        // digits with batch_norm after the two hidden layers: 17,226 + γ, β of 128 and 64 channels
        // (384, trained) + running mean and variance of 128 and 64 (384, frozen) = 17,994.
        var (code, output, err) = CliRunner.Invoke("summary", Spec("digits-bn-dropout.yaml"), "--format", "json");
        Assert.AreEqual(0, code, err);
        using var doc = JsonDocument.Parse(output);
        Assert.IsTrue(doc.RootElement.GetProperty("per_sample_known").GetBoolean());
        var totals = doc.RootElement.GetProperty("totals");
        Assert.AreEqual(17994, totals.GetProperty("parameters").GetInt64());
        Assert.AreEqual(384, totals.GetProperty("frozen").GetInt64());
        Assert.AreEqual(17994 * 8, totals.GetProperty("parameter_bytes").GetInt64()); // float64
    }

    [TestMethod]
    public void A_parameter_marked_trainable_false_counts_as_frozen()
    {
        // frozen-bias.yaml: W 3x2 (6), b 3 (trainable: false), M 2x3 (6), c 2: 17 parameters, 3 frozen.
        var (code, output, err) = CliRunner.Invoke("summary", Spec("frozen-bias.yaml"), "--format", "json");
        Assert.AreEqual(0, code, err);
        using var doc = JsonDocument.Parse(output);
        var totals = doc.RootElement.GetProperty("totals");
        Assert.AreEqual(17, totals.GetProperty("parameters").GetInt64());
        Assert.AreEqual(3, totals.GetProperty("frozen").GetInt64());
        Assert.AreEqual(14, totals.GetProperty("trainable").GetInt64());
    }

    [TestMethod]
    public void A_conv_net_s_per_sample_shapes_leave_the_batch_axis_out()
    {
        var (code, output, err) = CliRunner.Invoke("summary", Spec("lenet-digits.yaml"), "--format", "json");
        Assert.AreEqual(0, code, err);
        using var doc = JsonDocument.Parse(output);
        var c1 = doc.RootElement.GetProperty("values").EnumerateArray().First(v => v.GetProperty("name").GetString() == "c1");
        CollectionAssert.AreEqual(new[] { 8, 8, 8 }, c1.GetProperty("shape_per_sample").EnumerateArray().Select(e => e.GetInt32()).ToArray());
        // conv2d K1: 8 filters of 1 x 3 x 3 (+ 8 biases) = 80 parameters; one 1 x 8 x 8 image padded
        // to 8 x 8 outputs per filter: 512 outputs of 9 MACs = 9,216 FLOPs + 512 bias adds.
        Assert.AreEqual(80, c1.GetProperty("parameters").GetInt64());
        Assert.AreEqual(9728, c1.GetProperty("flops_per_sample").GetProperty("forward").GetDouble());
    }

    [TestMethod]
    public void An_invalid_spec_gives_its_diagnostics_and_exit_2()
    {
        var path = Path.Combine(Path.GetTempPath(), $"netspec-summary-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, "network:\n  h: {op: reul, x: z}\n");
        try
        {
            var (code, _, err) = CliRunner.Invoke("summary", path);
            Assert.AreEqual(2, code);
            StringAssert.Contains(err, "unknown op 'reul'");
        }
        finally
        {
            File.Delete(path);
        }
    }
}
