# ---------------------------------------------------------------------------
# NetSpec runtime, part 2: parameters, data, batch order, the steps or the
# training loop with NetSpec's optimizers, the trace, and DistributedDataParallel.
#
# Everything here follows NetSpec's definitions (docs/training.md): the
# optimizers update element by element as NetSpec writes them, the learning
# rate follows the spec's schedule per epoch, the batches are contiguous runs
# of each epoch's permutation, the metrics are NetSpec's (the loss of each
# batch weighted by its rows, argmax with the first index on ties).
# ---------------------------------------------------------------------------

DTYPE = torch.float64 if CONFIG["dtype"] == "float64" else torch.float32
HERE = os.path.dirname(os.path.abspath(__file__))


class Distributed:
    """The process group when started by torch.distributed.run (WORLD_SIZE set), else one process."""

    def __init__(self):
        self.world = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
        self.device = torch.device("cpu")
        if self.world > 1:
            if torch.cuda.is_available():
                local = int(os.environ.get("LOCAL_RANK", "0"))
                self.device = torch.device("cuda", local)
                torch.cuda.set_device(self.device)
                backend = "nccl"
            else:
                backend = "gloo"
            torch.distributed.init_process_group(backend=backend)

    @property
    def active(self):
        return self.world > 1

    @property
    def writes(self):
        """Rank 0 writes the trace and the parameters; the others write nothing."""
        return self.rank == 0

    def all_sum(self, values):
        """The element-wise sum of `values` (a list of floats) over every process, in float64."""
        if not self.active:
            return values
        t = torch.tensor(values, dtype=torch.float64, device=self.device)
        torch.distributed.all_reduce(t)
        return t.tolist()

    def shard(self, rows):
        """This process's contiguous share [start, end) of a batch of `rows` samples (the first ranks take one more)."""
        base, extra = divmod(rows, self.world)
        start = self.rank * base + min(self.rank, extra)
        return start, start + base + (1 if self.rank < extra else 0)

    def close(self):
        if self.active:
            torch.distributed.destroy_process_group()


# --- parameters ------------------------------------------------------------

def tensors_of(net):
    """Every parameter and state tensor of the network (nn.Parameters and buffers), by the spec's names."""
    found = dict(net.params.items())
    for name in net.STATE:
        found[name] = getattr(net.state, name)
    return found


def load_parameters(net, path):
    """Loads a NetSpec parameters file (format netspec-parameters) into the network, exactly."""
    with open(path, encoding="utf-8") as f:
        contents = json.load(f)
    if contents.get("format") != "netspec-parameters":
        raise SystemExit("%s: not a NetSpec parameters file" % path)
    tensors = tensors_of(net)
    stored = contents["parameters"]
    with torch.no_grad():
        for name in CONFIG["parameters"]:
            if name not in stored:
                raise SystemExit("%s: no parameter '%s'" % (path, name))
            entry = stored[name]
            t = tensors[name]
            if list(entry["shape"]) != list(t.shape):
                raise SystemExit("%s: parameter '%s' is %s, the network's is %s" % (path, name, entry["shape"], list(t.shape)))
            # float32 files hold float32's shortest digits: read as float64, then rounded to float32 exactly.
            t.copy_(torch.tensor(entry["values"], dtype=torch.float64).reshape(t.shape).to(t.dtype))


def write_parameters(net, path, preprocessing):
    """Writes NetSpec's parameters file: every parameter's shape and values in shortest round-trip form."""
    tensors = tensors_of(net)
    out = {"format": "netspec-parameters", "version": 2, "spec": CONFIG["spec"], "dtype": CONFIG["dtype"]}
    if preprocessing is not None:
        out["preprocessing"] = preprocessing
    params = {}
    for name in CONFIG["parameters"]:
        t = tensors[name].detach()
        if t.dtype == torch.float32:
            values = [float(np.float32(x)) for x in t.reshape(-1).tolist()]
        else:
            values = t.reshape(-1).tolist()
        params[name] = {"shape": list(t.shape), "values": values}
    out["parameters"] = params
    text = json.dumps(out, separators=(",", ":"))
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(path + ".tmp", path)


# --- data ------------------------------------------------------------------

def _round_half_away(x):
    return int(math.floor(x + 0.5))


def _count(fraction, rows):
    return 0 if fraction <= 0 else max(1, _round_half_away(fraction * rows))


def _is_number(text):
    try:
        float(text)
        return "_" not in text
    except ValueError:
        return False


def _read_csv(path, d):
    """Feature rows (float64) and labels of a data file, read as NetSpec reads it."""
    with open(path, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f, delimiter=d["separator"]))
    rows = [r for r in rows if r != []]
    if d["header"]:
        names, rows = rows[0], rows[1:]
    else:
        names = ["c%d" % (i + 1) for i in range(len(rows[0]))]
    label = names.index(d["label"])
    features = [names.index(c) for c in d["features"]] if d["features"] is not None else [i for i in range(len(names)) if i != label]
    x = np.array([[float(r[j]) for j in features] for r in rows], dtype=np.float64).reshape(len(rows), len(features))
    labels = [r[label].strip() for r in rows]
    return x, labels, names, [names[j] for j in features]


def _synthetic(s):
    """NetSpec's synthetic source: a N(0, 1) teacher, then samples from N(0, 1) labelled by argmax x teacher."""
    rng = Rng(s["seed"])
    f, c = s["features"], s["classes"]
    teacher = [rng.next_normal() for _ in range(f * c)]

    def draw(rows):
        x = np.zeros((rows, f), dtype=np.float64)
        labels = []
        for r in range(rows):
            row = [rng.next_normal() for _ in range(f)]
            score = [0.0] * c
            for i in range(f):
                for j in range(c):
                    score[j] += row[i] * teacher[i * c + j]
            best = 0
            for j in range(1, c):
                if score[j] > score[best]:
                    best = j
            x[r] = row
            labels.append(str(best))
        return x, labels

    train = draw(s["samples"])
    validation = draw(s["validation_samples"]) if s["validation_samples"] > 0 else None
    test = draw(s["test_samples"]) if s["test_samples"] > 0 else None
    names = ["f%d" % i for i in range(f)]
    return train, validation, test, names, names


def read_dataset(d):
    """The training, validation and test splits (features scaled, one-hot targets) and the preprocessing, as NetSpec computes them."""
    if d.get("synthetic") is not None:
        main, validation_file, test_file, columns, feature_names = _synthetic(d["synthetic"])
        classes = [str(i) for i in range(d["synthetic"]["classes"])]
    else:
        x, labels, columns, feature_names = _read_csv(os.path.join(HERE, d["file"]), d)
        main = (x, labels)
        validation_file = _read_csv(os.path.join(HERE, d["validation_file"]), d)[:2] if d["validation_file"] else None
        test_file = _read_csv(os.path.join(HERE, d["test_file"]), d)[:2] if d["test_file"] else None
        if d["classes"] is not None:
            classes = list(d["classes"])
        else:
            found = []
            for part in (main, validation_file, test_file):
                if part is not None:
                    for lab in part[1]:
                        if lab not in found:
                            found.append(lab)
            if all(_is_number(lab) for lab in found):
                classes = sorted(found, key=lambda lab: (float(lab), lab))
            else:
                classes = sorted(found)
    index = {name: i for i, name in enumerate(classes)}

    def take(part, rows):
        x, labels = part
        y = np.zeros((len(rows), len(classes)), dtype=np.float64)
        for r, i in enumerate(rows):
            y[r, index[labels[i]]] = 1.0
        return x[rows].copy(), y

    n = main[0].shape[0]
    validation = take(validation_file, list(range(validation_file[0].shape[0]))) if validation_file else None
    test = take(test_file, list(range(test_file[0].shape[0]))) if test_file else None
    split = d.get("split")
    if split is not None and (split["validation"] > 0 or split["test"] > 0):
        perm = Rng(split["seed"]).permutation(n)
        n_test, n_val = _count(split["test"], n), _count(split["validation"], n)
        # Each part keeps the file's order; shuffling happens per epoch.
        if n_test > 0:
            test = take(main, sorted(perm[:n_test]))
        if n_val > 0:
            validation = take(main, sorted(perm[n_test:n_test + n_val]))
        train = take(main, sorted(perm[n_test + n_val:]))
    else:
        train = take(main, list(range(n)))

    # The scaling, with statistics of the training split only, summed row by row as NetSpec does.
    scaling = d["scaling"]
    pre = {"columns": list(columns), "features": list(feature_names), "label": d.get("label"), "classes": classes}
    if scaling == "standardize":
        rows = train[0].shape[0]
        mean = np.zeros(train[0].shape[1])
        for r in range(rows):
            mean = mean + train[0][r]
        mean = mean / rows
        var = np.zeros(train[0].shape[1])
        for r in range(rows):
            dv = train[0][r] - mean
            var = var + dv * dv
        std = np.sqrt(var / rows)
        std[std == 0] = 1.0
        pre.update({"scaling": "standardize", "mean": mean.tolist(), "std": std.tolist()})
        scale = lambda x: (x - mean) / std
    elif scaling == "scale":
        pre.update({"scaling": "scale", "factor": d["factor"]})
        scale = lambda x: x * d["factor"]
    else:
        pre.update({"scaling": "none"})
        scale = lambda x: x
    splits = {}
    for name, part in (("train", train), ("validation", validation), ("test", test)):
        if part is not None:
            splits[name] = (scale(part[0]), part[1])
    return splits, pre


# --- the optimizer ---------------------------------------------------------

def _format_number(v):
    """NetSpec's Format.Number: shortest round-trip digits, 'e' for the exponent."""
    text = repr(float(v))
    if text.endswith(".0"):
        text = text[:-2]
    if "e" in text:
        mantissa, exponent = text.split("e")
        sign = "-" if exponent.startswith("-") else "+"
        text = "%se%s%02d" % (mantissa, sign, abs(int(exponent)))
    return text


class Optimizer:
    """NetSpec's update rules (sgd, momentum, Nesterov, adam), element by element in the run's dtype."""

    def __init__(self, cfg, tensors):
        self.cfg = cfg
        self.type = cfg["type"]
        self.updates = 0
        self.first, self.second = {}, {}
        for name in CONFIG["updated"]:
            if name in CONFIG["frozen"]:
                continue
            t = tensors[name]
            if self.type == "adam":
                self.first[name] = torch.zeros_like(t)
                self.second[name] = torch.zeros_like(t)
            elif cfg["momentum"] > 0:
                self.first[name] = torch.zeros_like(t)

    def learning_rate(self, epoch):
        """The learning rate of 0-based epoch `epoch` after the schedule."""
        lr = self.cfg["learning_rate"]
        s = self.cfg["schedule"]
        if s is None:
            return lr
        if s["type"] == "step":
            return lr * math.pow(s["gamma"], epoch // s["step_size"])
        if s["type"] == "exponential":
            return lr * math.pow(s["gamma"], epoch)
        return lr

    def step(self, tensors, grads, step, lr, trace):
        """Updates every parameter with a gradient; one update record each when traced."""
        c = self.cfg
        device = next(iter(tensors.values())).device

        def scalar(x):
            return torch.tensor(x, dtype=DTYPE, device=device)

        rate = scalar(lr)
        adam = self.type == "adam"
        if adam:
            self.updates += 1
            c1 = scalar(1.0) - scalar(math.pow(c["beta1"], self.updates))
            c2 = scalar(1.0) - scalar(math.pow(c["beta2"], self.updates))
            b1, b2, eps = scalar(c["beta1"]), scalar(c["beta2"]), scalar(c["epsilon"])
        mu = scalar(c["momentum"])
        with torch.no_grad():
            for name in CONFIG["updated"]:
                p, g = tensors[name], grads[name]
                if name in CONFIG["frozen"]:
                    if trace is not None:
                        trace.emit("update", step, name, self.type, "%s (trainable: false, not updated)" % name, p, old=p, grad=g)
                    continue
                old = p.detach().clone() if trace is not None else None
                if adam:
                    m, v = self.first[name], self.second[name]
                    m.copy_(b1 * m + (scalar(1.0) - b1) * g)
                    v.copy_(b2 * v + (scalar(1.0) - b2) * g * g)
                    p.sub_(rate * (m / c1) / (torch.sqrt(v / c2) + eps))
                elif name in self.first:
                    vel = self.first[name]
                    vel.copy_(vel * mu + g)
                    if c["nesterov"]:
                        p.sub_(rate * (g + mu * vel))
                    else:
                        p.add_((-rate) * vel)
                else:
                    p.add_((-rate) * g)
                if trace is not None:
                    shown = c["learning_rate_name"] if c["learning_rate_name"] is not None and lr == c["learning_rate"] else _format_number(lr)
                    if adam:
                        expr = "%s - %s · m̂/(√v̂ + ε)" % (name, shown)
                    elif name in self.first:
                        expr = ("%s - %s · (dJ/d%s + μ v)" % (name, shown, name)) if c["nesterov"] else "%s - %s · v" % (name, shown)
                    else:
                        expr = "%s - %s · dJ/d%s" % (name, shown, name)
                    trace.emit("update", step, name, self.type, expr, p, old=old, grad=g)
        return all(bool(torch.isfinite(tensors[name]).all()) for name in CONFIG["updated"])


class ReduceOnPlateau:
    """NetSpec's plateau schedule (PyTorch's ReduceLROnPlateau, mode min, threshold_mode rel), stepped once per epoch."""

    def __init__(self, cfg, lr):
        self.cfg, self.lr = cfg, lr
        self.best, self.bad, self.cooldown_left = math.inf, 0, 0

    def step(self, loss):
        c = self.cfg
        if loss < self.best * (1 - c["threshold"]):
            self.best, self.bad = loss, 0
        else:
            self.bad += 1
        if self.cooldown_left > 0:
            self.cooldown_left -= 1
            self.bad = 0
        if self.bad <= c["patience"]:
            return False
        self.cooldown_left, self.bad = c["cooldown"], 0
        reduced = max(self.lr * c["factor"], c["min_lr"])
        if self.lr - reduced <= 1e-8:
            return False
        self.lr = reduced
        return True


class DivergenceWatch:
    """NetSpec's divergence check: the debiased moving average (beta 0.98) of the batch losses against its best."""

    def __init__(self, factor):
        self.factor, self.average, self.count, self.best, self.smoothed = factor, 0.0, 0, math.inf, math.nan

    def add(self, loss):
        self.count += 1
        self.average = 0.98 * self.average + (1 - 0.98) * loss
        self.smoothed = self.average / (1 - math.pow(0.98, self.count))
        if self.smoothed < self.best:
            self.best = self.smoothed
        return self.factor > 0 and self.best > 0 and self.smoothed > self.factor * self.best


# --- one pass --------------------------------------------------------------

def inline_feeds(device):
    """The spec's inline data, in the run's dtype."""
    return {name: torch.tensor(d["values"], dtype=torch.float64).reshape(d["shape"]).to(DTYPE).to(device)
            for name, d in CONFIG["data"].items()}


def mode_name(net):
    return "train" if net.training else "eval"


def emit_leaves(trace, step, net, feeds, tensors):
    """The forward records of the data and the parameters, before the pass (state as it was)."""
    mode = mode_name(net)
    for name, kind in CONFIG["trace"]["leaves"]:
        value = feeds[name] if kind == "data" else tensors[name]
        trace.emit("forward", step, name, kind, name, value, mode=mode)


def emit_nodes(trace, step, net, v, tensors):
    """The forward records of every node, each followed by its side values and, in training mode, its updated state."""
    mode = mode_name(net)
    for name, op, expr, sides, states in CONFIG["trace"]["nodes"]:
        trace.emit("forward", step, name, op, expr, v[name], mode=mode)
        for label, side_expr in sides:
            key = "%s.%s" % (name, label)
            if key in v:
                trace.emit("forward", step, key, op, side_expr, v[key], mode=mode)
        if net.training:
            for state, state_expr in states:
                trace.emit("forward", step, state, "state", state_expr, tensors[state], mode=mode)


def gradients(objective, targets, seed):
    """dJ/dt for every tensor in `targets` (zeros where J does not depend on it)."""
    names = list(targets)
    wanted = [targets[n] for n in names]
    differentiable = [i for i, t in enumerate(wanted) if t.requires_grad]
    out = {n: torch.zeros_like(targets[n]) for n in names}
    if differentiable:
        grad_out = None if seed is None else torch.tensor(seed, dtype=torch.float64).reshape(objective.shape).to(objective)
        found = torch.autograd.grad(objective, [wanted[i] for i in differentiable], grad_outputs=grad_out, allow_unused=True)
        for i, g in zip(differentiable, found):
            if g is not None:
                out[names[i]] = g
    return out


def backward_targets(v, feeds, tensors):
    """The values NetSpec differentiates, by name: nodes, data (when it does) and parameters."""
    targets = {}
    for name, kind in CONFIG["trace"]["gradients"]:
        targets[name] = v[name] if kind == "node" else feeds[name] if kind == "data" else tensors[name]
    return targets


def emit_gradients(trace, step, net, grads):
    mode = mode_name(net)
    for name, kind in CONFIG["trace"]["gradients"]:
        op = CONFIG["trace"]["ops"][name] if kind == "node" else kind
        trace.emit("backward", step, name, op, "dJ/d" + name, grads[name], mode=mode)


def prepare_feeds(feeds, names=None):
    """Data NetSpec differentiates (dJ/dx in the worked examples) becomes a leaf that takes a gradient."""
    for name in CONFIG["data_gradients"] if names is None else names:
        feeds[name] = feeds[name].detach().requires_grad_(True)
    return feeds


def wrap_ddp(net):
    """The module under DistributedDataParallel (looking for unused parameters only when some parameter takes no gradient)."""
    unused = set(net.params.keys()) - set(CONFIG["updated"])
    return torch.nn.parallel.DistributedDataParallel(net, find_unused_parameters=bool(unused))


# --- a spec's steps --------------------------------------------------------

def run_steps(net, dist, trace):
    """The worked example's steps: forward, backward from the objective, the optimizer's update."""
    s = CONFIG["steps"]
    tensors = tensors_of(net)
    optimizer = Optimizer(CONFIG["optimizer"], tensors) if CONFIG["optimizer"] is not None else None
    model = net
    if dist.active and CONFIG["objective"] is not None:
        # No data set to split: every process computes the whole step, DDP averages equal gradients.
        model = wrap_ddp(net)
    net.train(CONFIG["training_mode"])
    for step in range(1, s["count"] + 1):
        traced = trace is not None and (s["trace_steps"] is None or step in s["trace_steps"] or (s["trace_every"] > 0 and step % s["trace_every"] == 0))
        sink = trace if traced else None
        grads = None
        if sink is not None or not dist.active:
            feeds = prepare_feeds(inline_feeds(dist.device))
            if sink is not None:
                emit_leaves(sink, step, net, feeds, tensors)
            v = net(feeds, step)
            if sink is not None:
                emit_nodes(sink, step, net, v, tensors)
            if CONFIG["objective"] is not None:
                grads = gradients(v[CONFIG["objective"]], backward_targets(v, feeds, tensors), CONFIG["seed_gradient"])
                if sink is not None:
                    emit_gradients(sink, step, net, grads)
        if CONFIG["objective"] is None:
            continue
        if dist.active:
            # No data set to split: every process computes the whole step and DDP averages equal
            # gradients (rank 0 computed the traced values apart, above, on the module itself).
            v = model(prepare_feeds(inline_feeds(dist.device)), step)
            objective = v[CONFIG["objective"]]
            for p in net.parameters():
                p.grad = None
            seed = None if CONFIG["seed_gradient"] is None else torch.tensor(CONFIG["seed_gradient"], dtype=torch.float64).reshape(objective.shape).to(objective)
            objective.backward(seed)
            grads = {name: (tensors[name].grad if tensors[name].grad is not None else torch.zeros_like(tensors[name])) for name in CONFIG["updated"]}
        if optimizer is not None:
            if not optimizer.step(tensors, grads, step, optimizer.learning_rate(step - 1), sink):
                print("netspec script: step %d: a NaN or infinity in the updated parameters; stopped" % step, file=sys.stderr)
                return False
    return True


# --- training --------------------------------------------------------------

def correct_count(scores, targets):
    """Rows whose largest score is at the target's largest entry (the first index on ties)."""
    s = scores.detach().to(torch.float64).cpu().numpy()
    t = targets.detach().to(torch.float64).cpu().numpy()
    return int((np.argmax(s, axis=1) == np.argmax(t, axis=1)).sum())


def ddp_objective(v, rows, batch_rows, dist):
    """This process's share of the objective, weighted so that DDP's average of the gradients is the whole batch's.

    A term averaged over the batch counts rows/batch of it, a summed one all of it, both
    times the number of processes (DDP divides by it); a term that does not depend on the
    samples (the L2 term) is counted once per process, which the average makes once.
    """
    world = dist.world
    total, share = None, 0.0
    for name, kind in CONFIG["ddp"]["terms"]:
        t = v[name]
        if kind == "mean":
            w = world * rows / batch_rows
            part = rows / batch_rows
        elif kind == "sum":
            w, part = world, 1.0
        else:
            w, part = 1.0, 1.0 / world
        total = t * w if total is None else total + t * w
        share += part * float(t)
    return total, share


def evaluate(net, split, batch, device):
    """Loss and accuracy of a split, in batches, in evaluation mode (no state changes)."""
    x, y = split
    n = x.shape[0]
    loss_sum, correct = 0.0, 0
    was = net.training
    net.eval()
    d = CONFIG["dataset"]
    with torch.no_grad():
        for start in range(0, n, batch):
            rows = min(batch, n - start)
            feeds = inline_feeds(device)
            feeds[d["inputs"]] = torch.tensor(x[start:start + rows], dtype=torch.float64).to(DTYPE).to(device)
            feeds[d["targets"]] = torch.tensor(y[start:start + rows], dtype=torch.float64).to(DTYPE).to(device)
            v = net(feeds, 0)
            loss_sum += rows * float(v[CONFIG["objective"]])
            if CONFIG["training"]["accuracy_of"] is not None:
                correct += correct_count(v[CONFIG["training"]["accuracy_of"]], feeds[d["targets"]])
    net.train(was)
    return loss_sum / n, (correct / n if CONFIG["training"]["accuracy_of"] is not None else None)


def run_training(net, dist, trace, splits):
    """NetSpec's training loop: epochs of shuffled mini-batches, metrics, early stopping, the test split."""
    t = CONFIG["training"]
    d = CONFIG["dataset"]
    tensors = tensors_of(net)
    optimizer = Optimizer(CONFIG["optimizer"], tensors)
    x_train, y_train = splits["train"]
    n = x_train.shape[0]
    batch = min(t["batch_size"], n)
    batches = (n + batch - 1) // batch
    validation, test = splits.get("validation"), splits.get("test")
    accuracy_of = t["accuracy_of"]
    es = t["early_stopping"]
    keep_best = validation is not None and es is not None and es["restore_best"]
    best_params = {k: tensors[k].detach().clone() for k in CONFIG["parameters"]} if keep_best else None
    plateau = ReduceOnPlateau(CONFIG["optimizer"]["plateau"], CONFIG["optimizer"]["learning_rate"]) if CONFIG["optimizer"]["plateau"] else None
    watch = DivergenceWatch(t["divergence_factor"])
    model = wrap_ddp(net) if dist.active else net
    mode_of_training = CONFIG["training_mode"]
    step, best, bad, best_epoch, stopped = 0, math.inf, 0, 0, False
    last_epoch = 0

    def metric(epoch, name, expr, value, training):
        if trace is not None:
            trace.emit("epoch", epoch, name, "metric", expr, torch.tensor(value, dtype=torch.float64), mode="train" if training else "eval")

    def batch_feeds(rows_idx, traced=False):
        feeds = inline_feeds(dist.device)
        feeds[d["inputs"]] = torch.tensor(x_train[rows_idx], dtype=torch.float64).to(DTYPE).to(dist.device)
        feeds[d["targets"]] = torch.tensor(y_train[rows_idx], dtype=torch.float64).to(DTYPE).to(dist.device)
        # Traced, the data takes a gradient too, so that dJ/d of every node NetSpec traces exists (not written for the data).
        return prepare_feeds(feeds, CONFIG["traced_data"]) if traced else feeds

    for epoch in range(t["epochs"]):
        if stopped:
            break
        lr = plateau.lr if plateau is not None else optimizer.learning_rate(epoch)
        perm = epoch_permutation(t["seed"], epoch, n) if t["shuffle"] else list(range(n))
        loss_sum, correct = 0.0, 0
        for b in range(batches):
            start = b * batch
            rows = min(batch, n - start)
            idx = perm[start:start + rows]
            step += 1
            traced = trace is not None and (step in t["trace_steps"] or (t["trace_every"] > 0 and step % t["trace_every"] == 0))
            sink = trace if traced else None
            net.train(mode_of_training)
            if not dist.active:
                feeds = batch_feeds(idx, traced=sink is not None)
                if sink is not None:
                    emit_leaves(sink, step, net, feeds, tensors)
                v = net(feeds, step)
                if sink is not None:
                    emit_nodes(sink, step, net, v, tensors)
                wanted = backward_targets(v, feeds, tensors) if sink is not None else {k: tensors[k] for k in CONFIG["updated"]}
                grads = gradients(v[CONFIG["objective"]], wanted, None)
                if sink is not None:
                    emit_gradients(sink, step, net, grads)
                loss = float(v[CONFIG["objective"]])
                hits = correct_count(v[accuracy_of], feeds[d["targets"]]) if accuracy_of is not None else 0
            else:
                if sink is not None and dist.writes:
                    # The trace's per-node values are the whole batch's: rank 0 computes them once, apart.
                    feeds = batch_feeds(idx, traced=True)
                    emit_leaves(sink, step, net, feeds, tensors)
                    v = net(feeds, step)
                    emit_nodes(sink, step, net, v, tensors)
                    emit_gradients(sink, step, net, gradients(v[CONFIG["objective"]], backward_targets(v, feeds, tensors), None))
                lo, hi = dist.shard(rows)
                feeds = batch_feeds(idx[lo:hi])
                v = model(feeds, step)
                weighted, share = ddp_objective(v, hi - lo, rows, dist)
                for p in net.parameters():
                    p.grad = None
                weighted.backward()
                grads = {name: (tensors[name].grad if tensors[name].grad is not None else torch.zeros_like(tensors[name])) for name in CONFIG["updated"]}
                hits = correct_count(v[accuracy_of], feeds[d["targets"]]) if accuracy_of is not None else 0
                loss, hits = dist.all_sum([share, float(hits)])
                hits = int(round(hits))
            if not math.isfinite(loss):
                print("netspec script: training stopped in epoch %d, batch %d of %d (step %d): a NaN or infinity" % (epoch + 1, b + 1, batches, step), file=sys.stderr)
                return False, None
            loss_sum += rows * loss
            correct += hits
            if watch.add(loss):
                print("netspec script: training diverged in epoch %d, batch %d of %d (step %d)" % (epoch + 1, b + 1, batches, step), file=sys.stderr)
                return False, None
            if not optimizer.step(tensors, grads, step, lr, sink if dist.writes else None):
                print("netspec script: training stopped in epoch %d, batch %d of %d (step %d): a NaN or infinity" % (epoch + 1, b + 1, batches, step), file=sys.stderr)
                return False, None
        train_loss = loss_sum / n
        train_acc = correct / n if accuracy_of is not None else None
        val_loss = val_acc = None
        if validation is not None:
            val_loss, val_acc = evaluate(net, validation, batch, dist.device)
        last_epoch = epoch + 1
        if dist.writes:
            metric(epoch + 1, "train_loss", "objective J averaged over the epoch's batches", train_loss, mode_of_training)
            if train_acc is not None:
                metric(epoch + 1, "train_accuracy", "fraction of the epoch's samples classified right", train_acc, mode_of_training)
            if val_loss is not None:
                metric(epoch + 1, "validation_loss", "objective J averaged over the validation split", val_loss, False)
            if val_acc is not None:
                metric(epoch + 1, "validation_accuracy", "fraction of the validation split classified right", val_acc, False)
            print("epoch %d/%d: train loss %.6f%s" % (epoch + 1, t["epochs"], train_loss, "" if val_loss is None else ", validation loss %.6f" % val_loss))
        if val_loss is not None:
            if val_loss < best - (es["min_delta"] if es is not None else 0):
                best, bad, best_epoch = val_loss, 0, epoch + 1
                if best_params is not None:
                    for k in best_params:
                        best_params[k].copy_(tensors[k].detach())
            elif es is not None:
                bad += 1
                if bad >= es["patience"]:
                    stopped = True
                    if dist.writes:
                        print("early stopping after epoch %d" % (epoch + 1))
                    if best_params is not None and best_epoch > 0:
                        with torch.no_grad():
                            for k in best_params:
                                tensors[k].copy_(best_params[k])
        if plateau is not None:
            plateau.step(val_loss if val_loss is not None else train_loss)
    result = {}
    if test is not None:
        test_loss, test_acc = evaluate(net, test, batch, dist.device)
        if dist.writes:
            metric(last_epoch, "test_loss", "objective J averaged over the test split", test_loss, False)
            if test_acc is not None:
                metric(last_epoch, "test_accuracy", "argmax %s = argmax %s, test split" % (accuracy_of, d["targets"]), test_acc, False)
                print("test accuracy: %.4f" % test_acc)
            print("test loss: %.4f" % test_loss)
        result["test_loss"], result["test_accuracy"] = test_loss, test_acc
    return True, result


# --- main ------------------------------------------------------------------

def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trace", metavar="FILE", help="write NetSpec's JSON-lines trace of the run to FILE")
    parser.add_argument("--parameters-out", metavar="FILE", help="write the final parameters in NetSpec's parameters-file format")
    parser.add_argument("--parameters", metavar="FILE", help="start from this NetSpec parameters file instead of " + CONFIG["parameters_file"])
    args = parser.parse_args(argv)
    torch.set_num_threads(max(1, torch.get_num_threads()))
    dist = Distributed()
    if dist.active and CONFIG["ddp"]["refused"] is not None:
        print("netspec script: cannot run under DistributedDataParallel: " + CONFIG["ddp"]["refused"], file=sys.stderr)
        dist.close()
        return 2
    net = Net(DTYPE).to(dist.device)
    load_parameters(net, args.parameters or os.path.join(HERE, CONFIG["parameters_file"]))
    trace = TraceWriter(args.trace, CONFIG["trace"]["uses_mode"]) if args.trace and dist.writes else None
    preprocessing = None
    ok = True
    try:
        if CONFIG["training"] is not None:
            splits, preprocessing = read_dataset(CONFIG["dataset"])
            ok, _ = run_training(net, dist, trace, splits)
        else:
            ok = run_steps(net, dist, trace)
    finally:
        if trace is not None:
            trace.close()
    if ok and args.parameters_out and dist.writes:
        write_parameters(net, args.parameters_out, preprocessing)
    dist.close()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
