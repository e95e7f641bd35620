using NetSpec.Runtime;

namespace NetSpec.Tests.Runtime;

/// <summary>
/// The shape ops (reshape, flatten, transpose, concat, pad) and reduce_mean: ONNX's semantics on
/// the cases a spec can get wrong, each expected value worked out by hand from ONNX's operator
/// definitions; every user mistake a diagnostic at the node's position; and training's check that
/// a network holds at every batch size it will meet.
/// </summary>
[TestClass]
public sealed class ShapeOpTests
{
    /// <summary>Runs a spec and asserts every expectation it states passed (and that it states some).</summary>
    private static void Passes(string yaml)
    {
        var loaded = SpecText.Load(yaml);
        var result = NetSpecEngine.Run(loaded.Graph!);
        Assert.IsTrue(result.AllPassed && result.Expectations.Count > 0,
            string.Join("\n", result.Expectations.Where(e => !e.Passed).Select(e => e.ToString())) + "\n" + yaml);
    }

    /// <summary>The diagnostics of a spec that must not load, one per line.</summary>
    private static string Errors(string yaml)
    {
        var loaded = NetSpecEngine.LoadText("test.yaml", yaml);
        Assert.IsFalse(loaded.Ok, yaml);
        return string.Join("\n", loaded.Diagnostics.Items);
    }

    [TestMethod]
    public void Reshape_copies_an_axis_for_0_infers_the_one_for_minus_1_and_keeps_the_row_major_order()
    {
        Passes("""
            network:
              a: {op: reshape, x: x, shape: [0, -1]}
              b: {op: reshape, x: x, shape: [-1, 2]}
              c: {op: reshape, x: x, shape: [12]}
              d: {op: reshape, x: one, shape: []}
            data:
              x: [[[1, 2], [3, 4], [5, 6]], [[7, 8], [9, 10], [11, 12]]]
              one: [[5]]
            expect:
              forward:
                a: [[1, 2, 3, 4, 5, 6], [7, 8, 9, 10, 11, 12]]
                b: [[1, 2], [3, 4], [5, 6], [7, 8], [9, 10], [11, 12]]
                c: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
                d: 5
            """);
    }

    [TestMethod]
    public void Flatten_always_gives_a_matrix_split_before_its_axis_as_onnx_s_flatten()
    {
        // x is 2 x 3 x 2: axis 0 gives 1 x 12, axis 2 gives 6 x 2, axis 3 (= rank) 12 x 1, axis -2 = axis 1 gives 2 x 6.
        Passes("""
            network:
              a: {op: flatten, x: x, axis: 0}
              b: {op: flatten, x: x, axis: 2}
              c: {op: flatten, x: x, axis: 3}
              d: {op: flatten, x: x, axis: -2}
            data:
              x: [[[1, 2], [3, 4], [5, 6]], [[7, 8], [9, 10], [11, 12]]]
            expect:
              forward:
                a: [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]]
                b: [[1, 2], [3, 4], [5, 6], [7, 8], [9, 10], [11, 12]]
                c: [[1], [2], [3], [4], [5], [6], [7], [8], [9], [10], [11], [12]]
                d: [[1, 2, 3, 4, 5, 6], [7, 8, 9, 10, 11, 12]]
            """);
    }

    [TestMethod]
    public void Transpose_reverses_the_axes_by_default_and_makes_y_s_axis_k_x_s_axis_perm_k()
    {
        // x is 2 x 3 x 2, x[i][j][k] = 6i + 2j + k + 1. Reversed: y[k][j][i] = x[i][j][k] (2 x 3 x 2 again).
        // perm [1, 0, 2]: y[j][i][k] = x[i][j][k], 3 x 2 x 2.
        Passes("""
            network:
              r: {op: transpose, x: x}
              p: {op: transpose, x: x, perm: [1, 0, 2]}
              m: {op: transpose, x: m2}
            data:
              x: [[[1, 2], [3, 4], [5, 6]], [[7, 8], [9, 10], [11, 12]]]
              m2: [[1, 2, 3], [4, 5, 6]]
            expect:
              forward:
                r: [[[1, 7], [3, 9], [5, 11]], [[2, 8], [4, 10], [6, 12]]]
                p: [[[1, 2], [7, 8]], [[3, 4], [9, 10]], [[5, 6], [11, 12]]]
                m: [[1, 4], [2, 5], [3, 6]]
            """);
    }

    [TestMethod]
    public void Concat_joins_along_its_axis_and_splits_the_gradient_back_a_name_twice_getting_both_parts()
    {
        // c = [a, b, a] along axis 1 (2 x 5); dJ/dc = [[1..5], [6..10]]: dJ/da = columns 1 and 4 (+ 2 and 5), dJ/db = column 3.
        Passes("""
            network:
              c: {op: concat, inputs: [a, b, a], axis: 1}
              r: {op: concat, inputs: [a, a], axis: -2}
            data:
              a: [[1, 2], [3, 4]]
              b: [[5], [6]]
            backward:
              from: c
              grad: [[1, 2, 3, 4, 5], [6, 7, 8, 9, 10]]
            expect:
              forward:
                c: [[1, 2, 5, 1, 2], [3, 4, 6, 3, 4]]
                r: [[1, 2], [3, 4], [1, 2], [3, 4]]
              gradients:
                a: [[5, 7], [15, 17]]
                b: [[3], [8]]
            """);
    }

    [TestMethod]
    public void Pad_takes_onnx_s_begins_then_ends_crops_for_a_negative_pad_and_passes_no_gradient_to_the_padding()
    {
        // x is 2 x 3; pads [1, -1, 0, 2]: one row of 9 before, the first column cut, two columns of 9 after: 3 x 4.
        Passes("""
            network:
              p: {op: pad, x: x, pads: [1, -1, 0, 2], value: 9}
            data:
              x: [[1, 2, 3], [4, 5, 6]]
            backward:
              from: p
              grad: [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]]
            expect:
              forward:
                p: [[9, 9, 9, 9], [2, 3, 9, 9], [5, 6, 9, 9]]
              gradients:
                x: [[0, 5, 6], [0, 9, 10]]
            """);
    }

    [TestMethod]
    public void Reduce_mean_divides_each_sum_by_the_count_it_averages_and_spreads_the_gradient_as_1_over_n()
    {
        Passes("""
            network:
              a: {op: reduce_mean, x: x, axes: [0, -1], keepdims: true}
              b: {op: reduce_mean, x: x, axes: [1]}
              t: {op: reduce_mean, x: x}
            data:
              x: [[[1, 2], [3, 4], [5, 6]], [[7, 8], [9, 10], [11, 12]]]
            backward:
              from: a
              grad: [[[4], [8], [12]]]
            expect:
              forward:
                a: [[[4.5], [6.5], [8.5]]]
                b: [[3, 4], [9, 10]]
                t: 6.5
              gradients:
                x: [[[1, 1], [2, 2], [3, 3]], [[1, 1], [2, 2], [3, 3]]]
            """);
    }

    [TestMethod]
    [DataRow("{op: reshape, x: x, shape: [4, 2]}", "test.yaml:2:3: error NS0301: reshape 'y': shape [4, 2] holds 8 elements, but x (2x3) has 6")]
    [DataRow("{op: reshape, x: x, shape: [-1, -1]}", "test.yaml:2:3: error NS0301: reshape 'y': shape [-1, -1] has -1 at axes 0 and 1; at most one axis is inferred")]
    [DataRow("{op: reshape, x: x, shape: [-1, 4]}", "test.yaml:2:3: error NS0301: reshape 'y': shape [-1, 4] cannot take the 6 elements of x (2x3): the other entries give 4 per step of the -1 axis, which does not divide 6")]
    [DataRow("{op: reshape, x: x, shape: [3, 1, 0]}", "test.yaml:2:3: error NS0301: reshape 'y': shape [3, 1, 0] has 0 at axis 2, which copies x's size there, but x is 2x3, with no axis 2")]
    [DataRow("{op: reshape, x: x, shape: [-2, 3]}", "test.yaml:2:33: error NS0110: attribute 'shape' of node 'y' must be a list of whole numbers, each >= -1, not [-2, 3]")]
    [DataRow("{op: reshape, x: x}", "test.yaml:2:3: error NS0102: node 'y' (reshape) needs the attribute 'shape'")]
    [DataRow("{op: flatten, x: x, axis: 3}", "test.yaml:2:3: error NS0301: flatten 'y': input x is 2x3: axis 3 is outside [-2, 2] (flatten splits a rank-2 tensor before one of its axes, or after the last)")]
    [DataRow("{op: transpose, x: x, perm: [0]}", "test.yaml:2:3: error NS0301: transpose 'y': input x is 2x3: perm [0] has 1 entry, one per axis of a rank-2 tensor is needed")]
    [DataRow("{op: transpose, x: x, perm: [1, 1]}", "test.yaml:2:3: error NS0301: transpose 'y': input x is 2x3: perm [1, 1] names axis 1 twice; it must be a permutation of 0 .. 1")]
    [DataRow("{op: transpose, x: x, perm: [0, 2]}", "test.yaml:2:3: error NS0301: transpose 'y': input x is 2x3: perm [0, 2]: axis 2 is outside a rank-2 tensor (axes -2 to 1)")]
    [DataRow("{op: concat, inputs: [x, v], axis: 0}", "test.yaml:2:3: error NS0301: concat 'y': input v is 2x2 but input x is 2x3: concat along axis 0 needs one rank and equal sizes on every other axis")]
    [DataRow("{op: concat, inputs: [x, x], axis: 2}", "test.yaml:2:3: error NS0301: concat 'y': input x is 2x3: axis 2 is outside a rank-2 tensor (axes -2 to 1)")]
    [DataRow("{op: pad, x: x, pads: [1, 1]}", "test.yaml:2:3: error NS0301: pad 'y': input x is 2x3: pads [1, 1] has 2 entries, but a rank-2 tensor takes 4 (a begin for each axis, then an end for each)")]
    [DataRow("{op: pad, x: x, pads: [0, -2, 0, -1]}", "test.yaml:2:3: error NS0301: pad 'y': input x is 2x3: pads [0, -2, 0, -1] leave axis 1 with 0 elements (3 - 2 before - 1 after); at least 1 must remain")]
    [DataRow("{op: reduce_mean, x: x, axes: [1, -1]}", "test.yaml:2:3: error NS0301: reduce_mean 'y': input x is 2x3: axes [1, -1] name axis 1 twice")]
    public void A_shape_that_does_not_fit_is_an_error_at_the_node_saying_why(string node, string expected)
    {
        var errors = Errors($"network:\n  y: {node}\ndata:\n  x: [[1, 2, 3], [4, 5, 6]]\n  v: [[1, 2], [3, 4]]\n");
        Assert.AreEqual(expected, errors.Split('\n')[0], errors);
    }

    [TestMethod]
    public void A_training_spec_whose_reshape_fixes_the_batch_size_is_an_error_at_load_time_and_0_in_the_batch_position_trains()
    {
        // 5 samples in batches of 2: the last batch has 1, where a reshape to [2, 2, 2] cannot hold.
        var dir = Directory.CreateTempSubdirectory("netspec-shape-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "d.csv"), "a,b,c,d,label\n1,0,0,1,p\n0,1,1,0,q\n1,1,0,0,p\n0,0,1,1,q\n1,0,1,0,p\n");
            string Spec(string shape) => $"""
                netspec: 1
                dataset: {"{"}file: d.csv, label: label, inputs: x, targets: y{"}"}
                network:
                  r: {"{"}op: reshape, x: x, shape: {shape}{"}"}
                  f: {"{"}op: flatten, x: r{"}"}
                  o: {"{"}op: linear, x: f, W: W, b: b{"}"}
                  L: {"{"}op: softmax_cross_entropy, x: o, y: y{"}"}
                parameters:
                  W: {"{"}init: he_normal, shape: [2, 4], seed: 1{"}"}
                  b: {"{"}init: zeros, shape: [2]{"}"}
                backward: {"{"}from: L{"}"}
                optimizer: {"{"}type: sgd, learning_rate: 0.1{"}"}
                training: {"{"}epochs: 2, batch_size: 2, shuffle: false, seed: 0{"}"}
                """;
            File.WriteAllText(Path.Combine(dir, "bad.yaml"), Spec("[2, 2, 2]"));
            var bad = NetSpecEngine.Load(Path.Combine(dir, "bad.yaml"));
            Assert.IsFalse(bad.Ok);
            Assert.AreEqual(
                $"{Path.Combine(dir, "bad.yaml")}:4:3: error NS0301: at a batch of 1 samples, the last batch of the train split (5 samples in batches of 2): " +
                "reshape 'r': shape [2, 2, 2] holds 8 elements, but x (1x4) has 4 (write shapes that hold for any batch size: 0 or -1 in a reshape's batch position)",
                string.Join("\n", bad.Diagnostics.Items));

            File.WriteAllText(Path.Combine(dir, "good.yaml"), Spec("[0, 2, 2]"));
            var good = NetSpecEngine.Load(Path.Combine(dir, "good.yaml"));
            Assert.IsTrue(good.Ok, string.Join("\n", good.Diagnostics.Items));
            var result = NetSpecEngine.Run(good.Graph!, training: new NetSpec.Runtime.Training.TrainingRunOptions { WriteFiles = false });
            Assert.IsNull(result.Fault);
            Assert.HasCount(2, result.Training!.History);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
