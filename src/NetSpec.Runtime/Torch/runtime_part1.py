# ---------------------------------------------------------------------------
# NetSpec runtime, part 1: NetSpec's random numbers and its JSON-lines trace.
#
# These reproduce NetSpec's own definitions bit for bit, so that the batch
# order, the data split, the synthetic data set and the dropout masks are the
# ones NetSpec draws:
#   * Rng: xoshiro256** seeded through SplitMix64, uniform doubles with 53
#     random bits, unbiased integers, Marsaglia polar normals, Fisher-Yates.
#   * counter_uniform: the counter-based uniforms behind dropout's masks, a
#     pure function of (seed, node name, step, element index).
#   * TraceWriter: NetSpec's JSON-lines trace format, one object per line.
# ---------------------------------------------------------------------------

_MASK64 = (1 << 64) - 1
_GAMMA = 0x9E3779B97F4A7C15


def _rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & _MASK64


def _mix(z):
    """SplitMix64's output function (a bijection of 64-bit integers)."""
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return z ^ (z >> 31)


class Rng:
    """NetSpec's generator: xoshiro256** with its state seeded by SplitMix64."""

    def __init__(self, seed):
        x = seed & _MASK64
        state = []
        for _ in range(4):
            x = (x + _GAMMA) & _MASK64
            state.append(_mix(x))
        self._s = state
        self._spare = None

    def next_u64(self):
        s0, s1, s2, s3 = self._s
        result = (_rotl((s1 * 5) & _MASK64, 7) * 9) & _MASK64
        t = (s1 << 17) & _MASK64
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = _rotl(s3, 45)
        self._s = [s0, s1, s2, s3]
        return result

    def next_double(self):
        """Uniform in [0, 1) with 53 random bits."""
        return (self.next_u64() >> 11) * (1.0 / (1 << 53))

    def next_int(self, n):
        """Uniform integer in [0, n) without modulo bias."""
        threshold = ((1 << 64) - n) % n
        while True:
            r = self.next_u64()
            if r >= threshold:
                return r % n

    def next_normal(self):
        """Standard normal by the Marsaglia polar method (the second value kept for the next call)."""
        if self._spare is not None:
            value, self._spare = self._spare, None
            return value
        while True:
            u = 2 * self.next_double() - 1
            v = 2 * self.next_double() - 1
            q = u * u + v * v
            if 0 < q < 1:
                break
        f = math.sqrt(-2 * math.log(q) / q)
        self._spare = v * f
        return u * f

    def permutation(self, n):
        """Fisher-Yates shuffle of 0..n-1."""
        perm = list(range(n))
        for i in range(n - 1, 0, -1):
            j = self.next_int(i + 1)
            perm[i], perm[j] = perm[j], perm[i]
        return perm


def epoch_permutation(seed, epoch, n):
    """The order of the training samples in 0-based epoch `epoch`: a function of (seed, epoch) only."""
    return Rng((seed ^ ((_GAMMA * (epoch + 1)) & _MASK64)) & _MASK64).permutation(n)


def _name_key(name):
    """FNV-1a (64 bits) of the node's name in UTF-8."""
    h = 14695981039346656037
    for b in name.encode("utf-8"):
        h ^= b
        h = (h * 1099511628211) & _MASK64
    return h


def counter_uniform(seed, node, step, n):
    """Element i of the counter-based stream of (seed, node, step), i = 0..n-1, as float64.

    base = mix(mix(mix(seed + gamma) ^ key(node)) + gamma * step); element i is
    mix(base + gamma * (i + 1)) >> 11, scaled to [0, 1). Dropout keeps element i
    when it is >= p.
    """
    base = _mix((_mix(_mix((seed + _GAMMA) & _MASK64) ^ _name_key(node)) + _GAMMA * step) & _MASK64)
    i = np.arange(1, n + 1, dtype=np.uint64)
    with np.errstate(over="ignore"):
        z = np.uint64(base) + np.uint64(_GAMMA) * i
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) * (1.0 / (1 << 53))


def _number(x):
    """A float64 as NetSpec's trace writes it: the shortest text that reads back as the same double."""
    if math.isnan(x):
        return '"NaN"'
    if math.isinf(x):
        return '"Infinity"' if x > 0 else '"-Infinity"'
    text = repr(float(x))
    if text.endswith(".0"):
        text = text[:-2]
    return text.replace("e", "E")


class TraceWriter:
    """NetSpec's JSON-lines trace: phase, step, name, op, expr, [mode], shape, [old, grad], values."""

    def __init__(self, path, uses_mode):
        self._file = open(path + ".tmp", "w", encoding="utf-8", newline="\n")
        self._path = path
        self._uses_mode = uses_mode

    def emit(self, phase, step, name, op, expr, tensor, mode=None, old=None, grad=None):
        parts = ['{"phase":' + json.dumps(phase), '"step":%d' % step, '"name":' + json.dumps(name, ensure_ascii=False),
                 '"op":' + json.dumps(op, ensure_ascii=False), '"expr":' + json.dumps(expr, ensure_ascii=False)]
        if self._uses_mode and mode is not None:
            parts.append('"mode":' + json.dumps(mode))
        parts.append('"shape":[' + ",".join(str(d) for d in _shape_of(tensor)) + "]")
        if old is not None:
            parts.append('"old":' + _numbers(old))
        if grad is not None:
            parts.append('"grad":' + _numbers(grad))
        parts.append('"values":' + _numbers(tensor))
        self._file.write(",".join(parts) + "}\n")

    def close(self):
        """Puts the trace in place (written beside it, then renamed over it)."""
        self._file.close()
        os.replace(self._path + ".tmp", self._path)


def _shape_of(value):
    return list(value.shape) if hasattr(value, "shape") else []


def _numbers(value):
    if isinstance(value, torch.Tensor):
        flat = value.detach().to(torch.float64).reshape(-1).tolist()
    else:
        flat = np.asarray(value, dtype=np.float64).reshape(-1).tolist()
    return "[" + ",".join(_number(x) for x in flat) + "]"
