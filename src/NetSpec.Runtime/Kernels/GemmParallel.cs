namespace NetSpec.Runtime.Kernels;

/// <summary>
/// A small set of persistent helper threads for splitting one product into fixed parts.
/// Part 0 runs on the caller; parts 1.. run on helpers. The split is decided by the caller,
/// so which thread runs a part never changes what is computed. If another caller is already
/// using the helpers, the parts simply run one after another on the calling thread.
/// Nothing is allocated per call once the helpers exist.
/// </summary>
internal static unsafe class GemmParallel
{
    private static readonly Lock Gate = new();
    private static Helper[] helpers = [];
    private static readonly CountdownEvent Done = new(0);

    // Current job, written by the caller while holding Gate before helpers are released.
    private static delegate*<void*, int, int, void> jobBody;
    private static void* jobArg;
    private static int jobParts;
    private static Exception? jobError;

    /// <summary>Runs body(arg, part, parts) for part in [0, parts), in parallel when possible.</summary>
    public static void Run(int parts, delegate*<void*, int, int, void> body, void* arg)
    {
        if (parts <= 1 || !Gate.TryEnter())
        {
            for (int part = 0; part < parts; part++)
            {
                body(arg, part, parts);
            }
            return;
        }

        try
        {
            EnsureHelpers(parts - 1);
            jobBody = body;
            jobArg = arg;
            jobParts = parts;
            jobError = null;
            Done.Reset(parts - 1);
            for (int h = 0; h < parts - 1; h++)
            {
                helpers[h].Go.Set();
            }

            Exception? own = null;
            try
            {
                body(arg, 0, parts);
            }
            catch (Exception e)
            {
                own = e;
            }
            Done.Wait();
            jobBody = null;
            jobArg = null;
            if (own is not null)
            {
                throw own;
            }
            if (jobError is not null)
            {
                throw new AggregateException("A GEMM helper thread failed.", jobError);
            }
        }
        finally
        {
            Gate.Exit();
        }
    }

    private static void EnsureHelpers(int count)
    {
        if (helpers.Length >= count)
        {
            return;
        }
        var grown = new Helper[count];
        Array.Copy(helpers, grown, helpers.Length);
        for (int h = helpers.Length; h < count; h++)
        {
            grown[h] = new Helper(h + 1);
        }
        helpers = grown;
    }

    private sealed class Helper
    {
        public readonly ManualResetEventSlim Go = new(false, spinCount: 2000);
        private readonly int part;

        public Helper(int part)
        {
            this.part = part;
            var thread = new Thread(Loop) { IsBackground = true, Name = $"NetSpec GEMM helper {part}" };
            thread.Start();
        }

        private void Loop()
        {
            while (true)
            {
                Go.Wait();
                Go.Reset();
                try
                {
                    jobBody(jobArg, part, jobParts);
                }
                catch (Exception e)
                {
                    jobError = e;
                }
                finally
                {
                    Done.Signal();
                }
            }
        }
    }
}
