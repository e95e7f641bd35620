using System.Runtime.InteropServices;

namespace NetSpec.Parser.Files;

/// <summary>
/// Reads the files a user names (specs, data, parameters, checkpoints, ONNX models) without
/// trusting them: anything that is not a regular file after following symbolic links (a FIFO, a
/// character or block device such as <c>/dev/zero</c>, a socket, a directory) is refused before
/// it is opened, so it can neither hang the reader nor feed it without end; and every read is
/// bounded while it reads, not by the size the file system reports (a device reports 0 bytes).
/// </summary>
public static class SafeFile
{
    /// <summary>The largest data, parameters, checkpoint or model file read: 1 GiB.</summary>
    public const long MaxDataBytes = 1L << 30;

    /// <summary>
    /// Why <paramref name="path"/> cannot be read as a file ("is a FIFO (named pipe), not a
    /// regular file"), or null when it is a regular file or its type cannot be told on this
    /// system. A path that does not exist gives null too: callers report that themselves.
    /// </summary>
    public static string? NotRegular(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (Directory.Exists(path)) return "is a directory, not a file";
        if (!OperatingSystem.IsLinux()) return null;
        int mode = Linux.FileType(path);
        return mode switch
        {
            -1 or Linux.Regular => null,
            Linux.Fifo => "is a FIFO (named pipe), not a regular file",
            Linux.CharDevice => "is a character device, not a regular file",
            Linux.BlockDevice => "is a block device, not a regular file",
            Linux.Socket => "is a socket, not a regular file",
            Linux.Directory => "is a directory, not a file",
            _ => "is not a regular file",
        };
    }

    /// <summary>
    /// The bytes of <paramref name="path"/>, at most <paramref name="maxBytes"/> of them. Throws
    /// <see cref="RefusedFileException"/> when the file is not a regular file or has more bytes
    /// than the limit, with a message for people that does not repeat the path ("it is a FIFO
    /// (named pipe), not a regular file"); otherwise the usual exceptions of opening a file.
    /// </summary>
    /// <param name="path">The file to read.</param>
    /// <param name="maxBytes">The most bytes accepted.</param>
    /// <param name="limitName">How the limit is set, for the message, e.g. "--max-file-bytes".</param>
    public static byte[] ReadAllBytes(string path, long maxBytes, string? limitName = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytes);
        if (NotRegular(path) is { } why) throw new RefusedFileException($"it {why}", tooLarge: false);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        long reported = stream.CanSeek ? stream.Length : 0;
        if (reported > maxBytes) throw TooLarge(reported, maxBytes, limitName);
        long total = 0;
        int n;
        MemoryStream buffer;
        if (reported > 0)
        {
            // The size is known: read straight into an array of it (no chunk copies, no copy at the
            // end); a file that changes meanwhile goes on the general way below.
            var data = new byte[reported];
            int got = 0;
            while (got < data.Length && (n = stream.Read(data, got, data.Length - got)) > 0) got += n;
            if (got < data.Length) return data.AsSpan(0, got).ToArray();
            int next = stream.ReadByte();
            if (next < 0) return data;
            buffer = new MemoryStream(data.Length + 81920);
            buffer.Write(data);
            buffer.WriteByte((byte)next);
            total = got + 1;
            if (total > maxBytes) throw TooLarge(total, maxBytes, limitName, atLeast: true);
        }
        else
        {
            buffer = new MemoryStream(4096);
        }
        var chunk = new byte[81920];
        while ((n = stream.Read(chunk, 0, (int)Math.Min(chunk.Length, maxBytes - total + 1))) > 0)
        {
            total += n;
            if (total > maxBytes) throw TooLarge(total, maxBytes, limitName, atLeast: true);
            buffer.Write(chunk, 0, n);
        }
        return buffer.ToArray();
    }

    private static RefusedFileException TooLarge(long bytes, long max, string? limitName, bool atLeast = false) =>
        new($"it has {(atLeast ? "more than " + max : bytes.ToString(System.Globalization.CultureInfo.InvariantCulture))} bytes, " +
            $"more than the limit of {max}{(limitName is null ? "" : $" ({limitName})")}", tooLarge: true);

    /// <summary>The file type from statx(2), whose layout is the same on every Linux architecture.</summary>
    private static class Linux
    {
        public const int Fifo = 0x1000, CharDevice = 0x2000, Directory = 0x4000, BlockDevice = 0x6000, Regular = 0x8000, Socket = 0xC000;

        private const int AtFdCwd = -100;
        private const uint StatxType = 0x1;

        [DllImport("libc", EntryPoint = "statx")]
        private static extern int Statx(int dirfd, byte[] path, int flags, uint mask, byte[] buffer);

        /// <summary>The S_IFMT bits of the file <paramref name="path"/> names (links followed), or -1 when they cannot be read.</summary>
        public static int FileType(string path)
        {
            var buf = new byte[256];
            var name = new byte[System.Text.Encoding.UTF8.GetByteCount(path) + 1];
            System.Text.Encoding.UTF8.GetBytes(path, name);
            try
            {
                if (Statx(AtFdCwd, name, 0, StatxType, buf) != 0) return -1;
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
            {
                return -1;
            }
            int mode = BitConverter.ToUInt16(buf, 28); // struct statx: stx_mode, a u16 at byte 28
            return mode & 0xF000;
        }
    }
}

/// <summary>A file <see cref="SafeFile"/> will not read: not a regular file, or larger than the limit.</summary>
public sealed class RefusedFileException(string message, bool tooLarge) : IOException(message)
{
    /// <summary>True when the file has more bytes than the limit; false when it is not a regular file.</summary>
    public bool TooLarge { get; } = tooLarge;
}
