using System.Diagnostics;
using System.Globalization;

namespace NetSpec.Parser.Files;

/// <summary>
/// Writes every file NetSpec produces (parameters, checkpoints, learning curves, traces, ONNX
/// exports, imported specs) so that readers only ever see the old file or the complete new one:
/// the content goes to a temporary file <c>.NAME.PID.tmp</c> in the same folder, is flushed to
/// disk (unless begun as not durable: a trace), then renamed over the target. A failure (a full disk, a read-only folder, a target that
/// is a directory or a device) deletes the temporary file and throws
/// <see cref="OutputFileException"/> with a message for people; no partial file is left.
/// Temporary files of this target left by a process that no longer runs (killed while writing)
/// are deleted before the next write.
/// </summary>
public static class AtomicFile
{
    /// <summary>Writes <paramref name="bytes"/> to <paramref name="path"/>.</summary>
    public static void WriteBytes(string path, ReadOnlySpan<byte> bytes)
    {
        using var f = Begin(path);
        f.Stream.Write(bytes);
        f.Commit();
    }

    /// <summary>Writes <paramref name="text"/> (UTF-8, no BOM) to <paramref name="path"/>.</summary>
    public static void WriteText(string path, string text) => WriteBytes(path, new System.Text.UTF8Encoding(false).GetBytes(text));

    /// <summary>Writes what <paramref name="content"/> writes to the stream it is given.</summary>
    public static void Write(string path, Action<Stream> content)
    {
        ArgumentNullException.ThrowIfNull(content);
        using var f = Begin(path);
        content(f.Stream);
        f.Commit();
    }

    /// <summary>
    /// Writes through a writer that only takes a path (a plotting library): it writes the
    /// temporary file, which is then renamed over <paramref name="path"/>.
    /// </summary>
    public static void WriteVia(string path, Action<string> writeTo)
    {
        ArgumentNullException.ThrowIfNull(writeTo);
        using var f = Begin(path);
        Guard(path, () => writeTo(f.TempPath));
        f.Commit();
    }

    /// <summary>
    /// Starts writing <paramref name="path"/>: write to <see cref="Pending.Stream"/> (or let a
    /// library write <see cref="Pending.TempPath"/>), then commit; disposing without committing
    /// leaves the old file as it was.
    /// </summary>
    /// <param name="path">The file to write.</param>
    /// <param name="durable">
    /// Whether the commit waits for the content to reach the disk before the rename (the default).
    /// False (a trace, which the run writes again): readers and killed processes still see the old
    /// or the complete new file, but the commit does not wait milliseconds for the disk, and a crash
    /// of the machine itself just after it could leave the file empty.
    /// </param>
    public static Pending Begin(string path, bool durable = true)
    {
        ArgumentNullException.ThrowIfNull(path);
        string full = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(full) ?? ".";
        string name = Path.GetFileName(full);
        if (name.Length == 0) throw new OutputFileException(path, "it names a folder, not a file");
        if (SafeFile.NotRegular(full) is { } why && (File.Exists(full) || Directory.Exists(full) || new FileInfo(full).LinkTarget is not null))
            throw new OutputFileException(path, $"it {why}; outputs are written as regular files");
        Guard(path, () => Directory.CreateDirectory(folder));
        CleanStale(folder, name);
        string temp = Path.Combine(folder, $".{name}.{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}.tmp");
        // Created now, so that a folder that cannot be written fails before any work is done.
        Guard(path, () => new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None).Dispose());
        return new Pending(path, full, temp, durable);
    }

    /// <summary>Deletes <c>.NAME.PID.tmp</c> files in <paramref name="folder"/> whose process is gone.</summary>
    public static int CleanStale(string folder, string name)
    {
        int removed = 0;
        IEnumerable<string> candidates;
        try
        {
            candidates = Directory.EnumerateFiles(folder, $".{name}.*.tmp");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
        foreach (var file in candidates)
        {
            string pidText = Path.GetFileName(file)[(name.Length + 2)..^4];
            if (!int.TryParse(pidText, NumberStyles.None, CultureInfo.InvariantCulture, out int pid) || Alive(pid)) continue;
            try
            {
                File.Delete(file);
                removed++;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // another process's file, or a read-only folder: left as it is
            }
        }
        return removed;
    }

    private static bool Alive(int pid)
    {
        if (pid == Environment.ProcessId) return false; // this process has no write in flight for the target
        try
        {
            using var p = Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return false;
        }
    }

    private static void Guard(string path, Action a)
    {
        try
        {
            a();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            if (e is OutputFileException) throw;
            throw new OutputFileException(path, Diagnostics.Excerpt.Message(e.Message), e);
        }
    }

    /// <summary>A file being written: its temporary file, renamed over the target by <see cref="Commit"/>.</summary>
    public sealed class Pending : IDisposable
    {
        private readonly string _path, _full;
        private readonly bool _durable;
        private FileStream? _stream;
        private bool _done;

        internal Pending(string path, string full, string temp, bool durable = true)
        {
            _path = path;
            _full = full;
            TempPath = temp;
            _durable = durable;
        }

        /// <summary>The temporary file's stream (opened on first use).</summary>
        public FileStream Stream
        {
            get
            {
                // Begin created the file empty: opened without truncating it again, which on ext4 would
                // make the close start writing the data out (its replace-by-truncate heuristic).
                if (_stream is null) Guard(_path, () => _stream = new FileStream(TempPath, FileMode.OpenOrCreate, FileAccess.Write, FileShare.Read, 1 << 16));
                return _stream!;
            }
        }

        /// <summary>The temporary file, for a library that writes a path itself (close it before committing).</summary>
        public string TempPath { get; }

        /// <summary>Flushes the content to disk and renames it over the target; on failure nothing is left.</summary>
        public void Commit()
        {
            if (_done) return;
            try
            {
                Guard(_path, () =>
                {
                    if (_stream is not null)
                    {
                        _stream.Flush(flushToDisk: _durable);
                        _stream.Dispose();
                    }
                    File.Move(TempPath, _full, overwrite: true);
                });
                _done = true;
            }
            finally
            {
                if (!_done) Discard();
            }
        }

        /// <summary>Leaves the target as it was (the temporary file deleted) unless committed.</summary>
        public void Dispose()
        {
            if (!_done) Discard();
        }

        private void Discard()
        {
            _done = true;
            try { _stream?.Dispose(); } catch (IOException) { } // a full disk may fail the final flush too
            try { File.Delete(TempPath); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}

/// <summary>An output file could not be written; the message names it and says why. Nothing partial is left.</summary>
public sealed class OutputFileException(string path, string reason, Exception? inner = null)
    : IOException($"cannot write '{Diagnostics.Excerpt.ClipPath(path)}': {reason}", inner)
{
    /// <summary>Why, without the path: "No space left on device", "it is a directory, not a file; ...".</summary>
    public string Reason { get; } = reason;
}
