using NetSpec.Parser.Diagnostics;

namespace NetSpec.Runtime.Graph;

/// <summary>
/// Orders the bound nodes so each comes after the nodes it takes as inputs: Kahn's algorithm in
/// O(nodes + edges), the ready nodes in a min-heap on declaration index, so that of all the
/// nodes ready at each step the one declared first is taken. A spec written in a valid order
/// therefore runs in declaration order. A cycle is reported by naming the nodes along it.
/// </summary>
internal static class NodeOrder
{
    /// <summary>The nodes in order, or null when they form a cycle (reported).</summary>
    /// <param name="pending">The bound nodes, <see cref="PendingNode.Index"/> being each one's place in the list.</param>
    /// <param name="valueCount">How many values the graph has (node outputs are among them).</param>
    /// <param name="d">Where a cycle is reported.</param>
    public static List<PendingNode>? Sort(IReadOnlyList<PendingNode> pending, int valueCount, DiagnosticBag d)
    {
        int n = pending.Count;
        // producer[v]: the pending node writing value v, or -1 for data, parameters and unbound nodes.
        var producer = new int[valueCount];
        Array.Fill(producer, -1);
        foreach (var p in pending) producer[p.Output] = p.Index;

        // Edges producer -> consumer, one per input (a value taken twice is two edges), as
        // compressed rows: the consumers of node k are consumers[start[k] .. start[k + 1]].
        var indegree = new int[n];
        var start = new int[n + 1];
        foreach (var p in pending)
            foreach (var (v, _) in p.Inputs)
                if (producer[v] is int q and >= 0 && q != p.Index)
                {
                    indegree[p.Index]++;
                    start[q + 1]++;
                }
        for (int k = 0; k < n; k++) start[k + 1] += start[k];
        var consumers = new int[start[n]];
        var fill = start[..n];
        foreach (var p in pending)
            foreach (var (v, _) in p.Inputs)
                if (producer[v] is int q and >= 0 && q != p.Index)
                    consumers[fill[q]++] = p.Index;

        var ready = new PriorityQueue<int, int>();
        for (int k = 0; k < n; k++)
            if (indegree[k] == 0) ready.Enqueue(k, k);
        var order = new List<PendingNode>(n);
        var done = new bool[n];
        while (ready.TryDequeue(out int k, out _))
        {
            done[k] = true;
            order.Add(pending[k]);
            for (int e = start[k]; e < start[k + 1]; e++)
                if (--indegree[consumers[e]] == 0) ready.Enqueue(consumers[e], consumers[e]);
        }
        if (order.Count == n) return order;
        ReportCycle(pending, producer, done, d);
        return null;
    }

    /// <summary>Names one cycle: walks from the first unfinished node along its first unfinished input until a node repeats.</summary>
    private static void ReportCycle(IReadOnlyList<PendingNode> pending, int[] producer, bool[] done, DiagnosticBag d)
    {
        int first = Array.IndexOf(done, false);
        var path = new List<int>();
        var seen = new Dictionary<int, int>(); // node -> its place on the path
        int cur = first;
        while (!seen.ContainsKey(cur))
        {
            seen[cur] = path.Count;
            path.Add(cur);
            cur = pending[cur].Inputs.Select(i => producer[i.Value]).First(q => q >= 0 && !done[q]);
        }
        var cycle = path.Skip(seen[cur]).Select(k => pending[k].Decl.Name).ToList();
        cycle.Add(pending[cur].Decl.Name);
        var at = pending[path[seen[cur]]];
        var steps = cycle.Zip(cycle.Skip(1), (a, b) => $"{a} takes {b}");
        d.Error(Codes.Cycle, at.Decl.NameSpan, $"the network has a cycle: {string.Join(", ", steps)}; no node may depend on its own output");
    }
}
