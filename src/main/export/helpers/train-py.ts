// The torch job's train.py: reproduces a Model Workbench run in PyTorch, in one process or under
// torchrun with DistributedDataParallel (gloo on CPU, NCCL on CUDA). Everything run-specific sits
// in job.json beside it; this file is the same for every job.
//
// What it reproduces from the app's training loop (src/main/engine/training-loop.ts): the seeded
// mulberry32 stream (validation split, per-epoch shuffles, the step budget's draws), batch order
// and size, the loss as tfjs computes it (probabilities clipped to [1e-7, 1 − 1e-7]), L1/L2 kernel
// regularizers, the tfjs optimizers' update rules (including where RMSprop, Adagrad and Adadelta
// put epsilon), the learning-rate schedules, Keras's EarlyStopping and ReduceLROnPlateau, the metric
// names and the best-epoch bookkeeping. Each global batch is split across the ranks and the loss
// is scaled so that N processes take the same steps as one (up to float rounding).

export const TRAIN_PY = String.raw`#!/usr/bin/env python3
"""Model Workbench training job: reproduces a run in PyTorch (torch 1.13+), on one process or many.

    python3 train.py                                   # one process
    torchrun --standalone --nproc_per_node=2 --redirects 1 --tee 1 --log_dir logs train.py

See README.md. Writes metrics.jsonl, run.json, model.safetensors (last weights) and
best.safetensors (the best epoch's) into the job folder (or --out DIR).
"""
import argparse
import json
import math
import os
import struct
import sys
import time
import traceback

import numpy as np
import torch
import torch.distributed as dist

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import model as model_py  # noqa: E402  (model.py beside this file)

EPSILON = 1e-7
AUC_THRESHOLDS = 200
EVAL_CHUNK = 1024
MASK32 = 0xFFFFFFFF


# ---------------------------------------------------------------- the app's seeded random stream
class Mulberry32:
    """The app's mulberry32 generator (src/shared/random.ts): the same seed gives the same floats."""

    def __init__(self, seed):
        self.state = seed & MASK32

    def __call__(self):
        self.state = (self.state + 0x6D2B79F5) & MASK32
        t = self.state
        t = ((t ^ (t >> 15)) * (t | 1)) & MASK32
        t ^= (t + (((t ^ (t >> 7)) * (t | 61)) & MASK32)) & MASK32
        return ((t ^ (t >> 14)) & MASK32) / 4294967296.0


def permutation(n, random):
    """Fisher-Yates as the app's permutation(): n - 1 draws."""
    order = list(range(n))
    for i in range(n - 1, 0, -1):
        j = int(random() * (i + 1))
        order[i], order[j] = order[j], order[i]
    return order


def sample_without_replacement(n, count, random, scratch):
    """The step budget's draw: a partial Fisher-Yates over a scratch list kept between steps."""
    picked = []
    for i in range(count):
        j = i + int(random() * (n - i))
        scratch[i], scratch[j] = scratch[j], scratch[i]
        picked.append(scratch[i])
    return picked


# ---------------------------------------------------------------- learning rate, plateau, early stopping
def f32(x):
    return struct.unpack('<f', struct.pack('<f', x))[0]


def scheduled_rate(schedule, base, step, epoch):
    kind = schedule['kind']
    if kind in ('constant', 'reduce_on_plateau'):
        return base
    if kind == 'time_decay':
        return base / (1.0 + schedule['decay'] * step)
    if kind == 'step_decay':
        return base * math.pow(schedule['drop'], math.floor(epoch / schedule['every_epochs']))
    if kind == 'exponential':
        return base * math.pow(schedule['decay_rate'], step / schedule['decay_steps'])
    raise ValueError('unknown schedule %r' % kind)


def prefers_higher(name):
    return name.endswith(('acc', 'accuracy', 'auc', 'precision', 'recall'))


class PlateauReducer:
    """Keras's ReduceLROnPlateau: wait >= patience, cooldown, min_lr."""

    def __init__(self, config, rate):
        self.c = config
        self.rate = rate
        self.maximize = prefers_higher(config['monitor'])
        self.best = -math.inf if self.maximize else math.inf
        self.wait = 0
        self.cooldown = 0

    def observe(self, value):
        if value is None:
            return self.rate
        in_cooldown = self.cooldown > 0
        if in_cooldown:
            self.cooldown -= 1
            self.wait = 0
        in_cooldown = self.cooldown > 0
        d = self.c.get('min_delta', 1e-4)
        improved = value > self.best + d if self.maximize else value < self.best - d
        if improved:
            self.best = value
            self.wait = 0
        elif not in_cooldown:
            self.wait += 1
            if self.wait >= self.c.get('patience', 10) and self.rate > f32(self.c.get('min_lr', 0.0)):
                self.rate = max(self.c.get('min_lr', 0.0), self.rate * self.c.get('factor', 0.1))
                self.cooldown = self.c.get('cooldown', 0)
                self.wait = 0
        return self.rate


class EarlyStopper:
    """Keras's EarlyStopping bookkeeping: every epoch counts, an improvement resets; stop at wait >= patience."""

    def __init__(self, patience, min_delta, mode):
        self.patience = patience
        self.min_delta = abs(min_delta)
        self.mode = mode
        self.best = -math.inf if mode == 'max' else math.inf
        self.best_epoch = None
        self.wait = 0

    def beats(self, value, reference):
        if self.mode == 'max':
            return value - self.min_delta > reference
        return value + self.min_delta < reference

    def observe(self, epoch, value):
        self.wait += 1
        if self.beats(value, self.best):
            self.best = value
            self.best_epoch = epoch
            self.wait = 0
            return True, False
        return False, self.wait >= self.patience and epoch > 0


def canonical_metric(name):
    prefix = ''
    for p in ('val_', 'test_'):
        if name.startswith(p):
            prefix, name = p, name[len(p):]
    return prefix + {'accuracy': 'acc', 'mean_squared_error': 'mse', 'mean_absolute_error': 'mae'}.get(name, name)


# ---------------------------------------------------------------- tfjs's optimizers
class TfjsOptimizer:
    """The update rules of tfjs's optimizers (tfjs-core/src/optimizers), which the app trains with."""

    def __init__(self, params, config):
        self.params = [p for p in params if p.requires_grad]
        self.c = config
        self.name = config['name']
        self.state = [{} for _ in self.params]
        self.iterations = 0

    @torch.no_grad()
    def step(self, lr):
        c = self.c
        t = self.iterations + 1
        for p, s in zip(self.params, self.state):
            g = p.grad
            if g is None:
                continue
            if self.name == 'sgd':
                if c.get('momentum', 0) > 0 or c.get('nesterov', False):
                    m = float(c.get('momentum', 0))
                    acc = s.setdefault('accumulation', torch.zeros_like(p))
                    acc.mul_(m).add_(g)
                    p.sub_(lr * ((g + acc * m) if c.get('nesterov', False) else acc))
                else:
                    p.sub_(lr * g)
            elif self.name == 'adam':
                b1, b2, eps = c['beta_1'], c['beta_2'], c['epsilon']
                m = s.setdefault('m', torch.zeros_like(p))
                v = s.setdefault('v', torch.zeros_like(p))
                m.mul_(b1).add_(g * (1 - b1))
                v.mul_(b2).add_(g * g * (1 - b2))
                m_hat = m / (1 - b1 ** t)
                v_hat = v / (1 - b2 ** t)
                p.sub_(lr * m_hat / (torch.sqrt(v_hat) + eps))
            elif self.name == 'rmsprop':
                rho, mom, eps = c['rho'], c.get('momentum', 0.0), c['epsilon']
                ms = s.setdefault('ms', torch.zeros_like(p))
                moments = s.setdefault('moments', torch.zeros_like(p))
                ms.mul_(rho).add_(g * g * (1 - rho))
                moments.mul_(mom).add_(g * lr / torch.sqrt(ms + eps))
                p.sub_(moments)
            elif self.name == 'adagrad':
                acc = s.setdefault('accumulator', torch.full_like(p, float(c['initial_accumulator_value'])))
                acc.add_(g * g)
                p.sub_(lr * g / torch.sqrt(acc + EPSILON))
            elif self.name == 'adadelta':
                rho, eps = c['rho'], c['epsilon']
                accum_grad = s.setdefault('accum_grad', torch.zeros_like(p))
                accum_update = s.setdefault('accum_update', torch.zeros_like(p))
                new_grad = accum_grad * rho + g * g * (1 - rho)
                # As tfjs: the update divides by the accumulated gradient from BEFORE this step.
                update = torch.sqrt(accum_update + eps) / torch.sqrt(accum_grad + eps) * g
                accum_update.mul_(rho).add_(update * update * (1 - rho))
                accum_grad.copy_(new_grad)
                p.sub_(lr * update)
            elif self.name == 'adamax':
                b1, b2, eps = c['beta_1'], c['beta_2'], c['epsilon']
                m = s.setdefault('m', torch.zeros_like(p))
                u = s.setdefault('u', torch.zeros_like(p))
                m.mul_(b1).add_(g * (1 - b1))
                torch.maximum(u * b2, torch.abs(g), out=u)
                p.sub_(lr / (1 - b1 ** t) * (m / (u + eps)))
            else:
                raise ValueError('unknown optimizer %r' % self.name)
        self.iterations = t

    def zero_grad(self):
        for p in self.params:
            p.grad = None


# ---------------------------------------------------------------- loss and metrics, as the app's metric plan
def per_sample_loss(loss, y_true, y_pred):
    """Each sample's loss (shape [batch]); its mean over a batch is tfjs's loss value."""
    if loss == 'mean_squared_error':
        e = (y_pred - y_true) ** 2
    elif loss == 'mean_absolute_error':
        e = torch.abs(y_pred - y_true)
    elif loss == 'binary_crossentropy':
        p = torch.clamp(y_pred, EPSILON, 1 - EPSILON)
        e = -(y_true * torch.log(p) + (1 - y_true) * torch.log(1 - p))
    elif loss in ('categorical_crossentropy', 'sparse_categorical_crossentropy'):
        p = torch.clamp(y_pred, EPSILON, 1 - EPSILON)
        e = -torch.sum(y_true * torch.log(p), dim=-1, keepdim=True)
    else:
        raise ValueError('unknown loss %r' % loss)
    return e.reshape(e.shape[0], -1).mean(dim=1)


def regularization(net, regularizers):
    total = None
    params = dict(net.named_parameters())
    for key, l1, l2 in regularizers:
        w = params[key]
        term = 0.0
        if l1:
            term = term + l1 * torch.sum(torch.abs(w))
        if l2:
            term = term + l2 * torch.sum(w * w)
        total = term if total is None else total + term
    return total


_THRESHOLDS = {}


def thresholds(device):
    if device not in _THRESHOLDS:
        values = [-EPSILON] + [i / (AUC_THRESHOLDS - 1) for i in range(1, AUC_THRESHOLDS - 1)] + [1 + EPSILON]
        _THRESHOLDS[device] = torch.tensor(values, dtype=torch.float32, device=device).reshape(1, -1)
    return _THRESHOLDS[device]


def batch_stats(job, y_true, y_pred, losses):
    """The sums the app accumulates per batch, as one float64 vector (see finalize)."""
    wanted = job['metrics']
    parts = [losses.double().sum().reshape(1)]
    if 'accuracy' in wanted:
        if job['accuracy'] == 'binary':
            correct = ((y_pred > 0.5) == (y_true > 0.5)).double().sum()
        else:
            correct = (torch.argmax(y_pred, dim=-1) == torch.argmax(y_true, dim=-1)).double().sum()
        parts.append(correct.reshape(1))
    if 'mse' in wanted:
        parts.append(((y_pred - y_true) ** 2).mean(dim=-1).double().sum().reshape(1))
    if 'mae' in wanted:
        parts.append(torch.abs(y_pred - y_true).mean(dim=-1).double().sum().reshape(1))
    if 'precision' in wanted or 'recall' in wanted:
        predicted = (y_pred > 0.5).double()
        truth = (y_true > 0.5).double()
        parts.append(torch.stack([(predicted * truth).sum(), (predicted * (1 - truth)).sum(), ((1 - predicted) * truth).sum()]))
    if 'auc' in wanted:
        pred = y_pred.reshape(-1, 1)
        truth = (y_true.reshape(-1, 1) > 0.5).double()
        above = (pred > thresholds(pred.device)).double()
        below = 1 - above
        parts.append(torch.cat([(above * truth).sum(0), (above * (1 - truth)).sum(0), (below * (1 - truth)).sum(0), (below * truth).sum(0)]))
    return torch.cat([p.to('cpu') for p in parts])


def finalize(job, stats, count):
    stats = [float(v) for v in stats]
    wanted = job['metrics']
    values = {'loss': stats[0] / count}
    at = 1
    if 'accuracy' in wanted:
        values['acc'] = stats[at] / (count * job['output_units'] if job['accuracy'] == 'binary' else count)
        at += 1
    if 'mse' in wanted:
        values['mse'] = stats[at] / count
        at += 1
    if 'mae' in wanted:
        values['mae'] = stats[at] / count
        at += 1
    if 'precision' in wanted or 'recall' in wanted:
        tp, fp, fn = stats[at:at + 3]
        if 'precision' in wanted:
            values['precision'] = tp / (tp + fp) if tp + fp > 0 else 0.0
        if 'recall' in wanted:
            values['recall'] = tp / (tp + fn) if tp + fn > 0 else 0.0
        at += 3
    if 'auc' in wanted:
        n = AUC_THRESHOLDS
        area, previous = 0.0, None
        for i in range(n):
            tp, fp, tn, fn = stats[at + i], stats[at + n + i], stats[at + 2 * n + i], stats[at + 3 * n + i]
            tpr = tp / (tp + fn) if tp + fn > 0 else 0.0
            fpr = fp / (fp + tn) if fp + tn > 0 else 0.0
            if previous is not None:
                area += (previous[0] - fpr) * (previous[1] + tpr) / 2
            previous = (fpr, tpr)
        values['auc'] = area
    return values


def labels(job, y):
    """Labels in the layout the loss expects: class indices one-hot, or the targets as they are."""
    if job['label_form'] == 'one_hot':
        return torch.nn.functional.one_hot(torch.from_numpy(y.reshape(-1).astype(np.int64)), job['num_classes']).to(torch.float32)
    return torch.from_numpy(y.reshape(y.shape[0], -1).astype(np.float32))


# ---------------------------------------------------------------- the job
class Dist:
    def __init__(self, device_choice):
        self.world = int(os.environ.get('WORLD_SIZE', '1'))
        self.rank = int(os.environ.get('RANK', '0'))
        self.local_rank = int(os.environ.get('LOCAL_RANK', '0'))
        cuda = torch.cuda.is_available() and device_choice in ('auto', 'cuda')
        if device_choice == 'cuda' and not torch.cuda.is_available():
            raise SystemExit('--device cuda: no CUDA device is available to torch')
        self.device = torch.device('cuda', self.local_rank) if cuda else torch.device('cpu')
        if cuda:
            torch.cuda.set_device(self.device)
        self.backend = None
        if self.world > 1:
            self.backend = 'nccl' if cuda else 'gloo'
            dist.init_process_group(self.backend)

    def all_sum(self, tensor):
        if self.world == 1:
            return tensor
        t = tensor.to(self.device if self.backend == 'nccl' else 'cpu')
        dist.all_reduce(t)
        return t.to('cpu')

    def close(self):
        if self.world > 1:
            dist.destroy_process_group()


def load_split(folder, name):
    x_path = os.path.join(folder, 'data', 'x_%s.npy' % name)
    if not os.path.exists(x_path):
        return None
    return np.load(x_path), np.load(os.path.join(folder, 'data', 'y_%s.npy' % name))


def now_iso():
    return time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime()) + '.%03dZ' % (int(time.time() * 1000) % 1000)


class Output:
    """metrics.jsonl and run.json, written by rank 0 only."""

    def __init__(self, folder, enabled):
        self.folder = folder
        self.enabled = enabled
        self.metrics = None
        if enabled:
            os.makedirs(folder, exist_ok=True)
            for name in ('job.json', 'model.py'):  # an --out folder is a job folder too (importable, loadable)
                if os.path.abspath(folder) != HERE:
                    with open(os.path.join(HERE, name), 'rb') as src, open(os.path.join(folder, name), 'wb') as dst:
                        dst.write(src.read())
            self.metrics = open(os.path.join(folder, 'metrics.jsonl'), 'w', encoding='utf-8')

    def point(self, step, epoch, values):
        if not self.enabled:
            return
        t = int(time.time() * 1000)
        for name, value in values.items():
            self.metrics.write(json.dumps({'step': step, 'epoch': epoch, 'name': name, 'value': value, 'time': t}) + '\n')
        self.metrics.flush()

    def run(self, record):
        if not self.enabled:
            return
        tmp = os.path.join(self.folder, 'run.json.tmp')
        with open(tmp, 'w', encoding='utf-8') as f:
            json.dump(record, f, indent=2)
        os.replace(tmp, os.path.join(self.folder, 'run.json'))

    def close(self):
        if self.metrics:
            self.metrics.close()


def evaluate(job, net, x, y, d):
    """Loss and metrics over rows sharded across the ranks, summed on every rank."""
    if d.world > 1:
        for buffer in net.buffers():  # rank 0's moving statistics everywhere, as DDP broadcasts them
            dist.broadcast(buffer, 0)
    net.eval()
    stats = None
    rows = list(range(d.rank, x.shape[0], d.world))
    with torch.no_grad():
        for start in range(0, len(rows), EVAL_CHUNK):
            idx = rows[start:start + EVAL_CHUNK]
            xb = torch.from_numpy(x[idx]).to(d.device)
            yb = labels(job, y[idx]).to(d.device)
            pred = net(xb)
            s = batch_stats(job, yb, pred, per_sample_loss(job['loss'], yb, pred))
            stats = s if stats is None else stats + s
    if stats is None:
        stats = batch_stats(job, labels(job, y[:1]), labels(job, y[:1]), torch.zeros(1)) * 0
    net.train()
    return finalize(job, d.all_sum(stats), x.shape[0])


def state_of(net):
    return {k: v.detach().to('cpu').clone() for k, v in net.state_dict().items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description='Reproduce a Model Workbench run in PyTorch (DDP under torchrun).')
    parser.add_argument('--out', default=HERE, help='folder for metrics.jsonl, run.json and the weights (default: this folder)')
    parser.add_argument('--device', default='auto', choices=['auto', 'cpu', 'cuda'])
    parser.add_argument('--dry-run', action='store_true', help='one step, nothing written: checks that the job runs')
    args = parser.parse_args(argv)
    torch.set_num_threads(int(os.environ.get('OMP_NUM_THREADS', '1')))
    with open(os.path.join(HERE, 'job.json'), encoding='utf-8') as f:
        job = json.load(f)
    config = job['config']
    d = Dist(args.device)
    out = Output(args.out, d.rank == 0 and not args.dry_run)
    started = time.time()
    record = {
        'format': 'model-workbench/torch-job-run', 'version': 1, 'status': 'running', 'source_run_id': job['source']['run_id'],
        'config': config, 'world_size': d.world, 'backend': d.backend or 'single-process', 'device': str(d.device),
        'torch_version': torch.__version__, 'python_version': sys.version.split()[0], 'initial_weights': job['initial_weights'],
        'started_at': now_iso(), 'ended_at': None, 'duration_s': None, 'steps': 0, 'epochs': 0,
        'final_metrics': {}, 'best_metrics': {}, 'best_epoch': None, 'error': None, 'diverged_at_step': None,
    }
    out.run(record)
    try:
        run(job, config, d, out, record, args)
    except BaseException as error:  # noqa: B902 - record every failure, then re-raise
        record['status'] = 'stopped' if isinstance(error, KeyboardInterrupt) else 'failed'
        record['error'] = '%s: %s' % (type(error).__name__, error)
        record['traceback'] = traceback.format_exc()
        raise
    finally:
        record['ended_at'] = now_iso()
        record['duration_s'] = time.time() - started
        out.run(record)
        out.close()
        d.close()


def run(job, config, d, out, record, args):
    torch.manual_seed(config['seed'] + d.rank)
    train = load_split(HERE, 'train')
    val = load_split(HERE, 'val')
    test = load_split(HERE, 'test') if config.get('evaluate_test', True) else None
    x_train, y_train = train
    n = x_train.shape[0]

    net = model_py.Model()
    initial, _ = model_py.read_safetensors(os.path.join(HERE, 'initial.safetensors'))
    net.load_state_dict(initial, strict=True)
    net.takes_raw_inputs = False  # the data files hold model inputs, already scaled as the app trained on them
    net.to(d.device)
    net.train()
    if d.world > 1:
        from torch.nn.parallel import DistributedDataParallel
        ddp = DistributedDataParallel(net, device_ids=[d.device.index] if d.device.type == 'cuda' else None)
    else:
        ddp = net
    optimizer = TfjsOptimizer(net.parameters(), config['optimizer'])
    regularizers = [(r['key'], r['l1'], r['l2']) for r in job['regularizers']]

    random = Mulberry32(config['seed'])
    for _ in range(job['rng_skip']):
        random()
    budget = config['budget']
    by_epochs = budget['kind'] == 'epochs'
    batch = min(config['batch_size'], n)
    steps_per_epoch = math.ceil(n / batch) if by_epochs else budget.get('eval_every', 1000)
    total_steps = steps_per_epoch * budget['epochs'] if by_epochs else budget['steps']
    if args.dry_run:
        total_steps = 1
    total_epochs = math.ceil(total_steps / steps_per_epoch)
    base = config['optimizer']['learning_rate']
    schedule = config['schedule']
    plateau = PlateauReducer(schedule, base) if schedule['kind'] == 'reduce_on_plateau' else None
    plateau_monitor = canonical_metric(schedule['monitor']) if plateau else None
    stopping = config.get('early_stopping')
    monitor = canonical_metric(stopping['monitor'] if stopping else ('val_loss' if val is not None else 'loss'))
    mode = stopping['mode'] if stopping and stopping.get('mode', 'auto') != 'auto' else ('max' if prefers_higher(monitor) else 'min')
    stopper = EarlyStopper(stopping['patience'] if stopping else math.inf, stopping.get('min_delta', 0) if stopping else 0, mode)
    scratch = list(range(n))
    y_all = labels(job, y_train)
    step = 0
    rate = base
    best_state = None
    status = 'finished'
    epoch = 0
    log_every = max(1, steps_per_epoch // 10)
    while epoch < total_epochs:
        order = permutation(n, random) if by_epochs and config.get('shuffle', True) else None
        steps_this = min(steps_per_epoch, total_steps - step)
        stats = None
        samples = 0
        loss_sum = 0.0
        for b in range(steps_this):
            if not by_epochs:
                idx = sample_without_replacement(n, batch, random, scratch)
            else:
                start = b * batch
                size = min(batch, n - start)
                idx = order[start:start + size] if order is not None else list(range(start, start + size))
            rate = plateau.rate if plateau else scheduled_rate(schedule, base, step, epoch)
            size = len(idx)
            mine = idx[d.rank::d.world]
            dummy = len(mine) == 0
            rows = mine if not dummy else idx[:1]
            xb = torch.from_numpy(x_train[rows]).to(d.device)
            yb = y_all[rows].to(d.device)
            pred = ddp(xb)
            losses = per_sample_loss(config['loss'], yb, pred)
            # The sum over this rank's rows / the GLOBAL batch size, times the world size: DDP averages
            # the ranks' gradients, which then equal one process's gradient of the batch-mean loss.
            loss = losses.sum() * (0.0 if dummy else float(d.world) / size)
            if regularizers:
                loss = loss + regularization(net, regularizers)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step(rate)
            with torch.no_grad():
                s = batch_stats(job, yb, pred.detach(), losses.detach())
                if dummy:
                    s = s * 0
                stats = s if stats is None else stats + s
                check = torch.tensor([0.0 if dummy else float(losses.detach().double().sum()), 0.0 if dummy else float(not bool(torch.isfinite(pred.detach()).all())), 0.0], dtype=torch.float64)
                check[2] = 0.0 if all(bool(torch.isfinite(p).all()) for p in net.parameters()) else 1.0
            check = d.all_sum(check)
            samples += size
            step += 1
            batch_loss = float(check[0]) / size
            if not math.isfinite(batch_loss) or float(check[1]) > 0 or float(check[2]) > 0:
                status = 'diverged'
                what = 'loss' if not math.isfinite(batch_loss) else ('outputs' if float(check[1]) > 0 else 'weights')
                record['error'] = 'The %s became NaN or infinite at step %d (epoch %d); lower the learning rate, scale the inputs, or check the data.' % (what, step, epoch + 1)
                record['diverged_at_step'] = step
                break
            loss_sum += batch_loss * size
            if step % log_every == 0:
                out.point(step, epoch + 1, {'batch/loss': loss_sum / samples, 'batch/lr': rate})
        if status == 'diverged':
            epoch += 1
            break
        metrics = finalize(job, d.all_sum(stats), samples)
        if val is not None:
            for name, value in evaluate(job, net, val[0], val[1], d).items():
                metrics['val_' + name] = value
        metrics['lr'] = rate
        epoch += 1
        out.point(step, epoch, metrics)
        record['steps'], record['epochs'], record['final_metrics'] = step, epoch, dict(metrics)
        out.run(record)
        missing = [m for m in (plateau_monitor, monitor) if m is not None and m not in metrics]
        if missing:
            status = 'failed'
            record['error'] = 'The monitored metric "%s" is not reported (this epoch reported %s).' % (missing[0], ', '.join(metrics))
            break
        if plateau:
            plateau.observe(metrics[plateau_monitor])
        improved, stop = stopper.observe(epoch - 1, metrics[monitor])
        if improved:
            record['best_metrics'] = dict(metrics)
            record['best_epoch'] = epoch
            best_state = state_of(net)
        if stopping and stop:
            record['early_stopped'] = 'after epoch %d: %s has not improved for %d epochs' % (epoch, monitor, stopper.wait)
            break
        if args.dry_run:
            break

    last_state = state_of(net)
    trained = status in ('finished', 'stopped')
    final_metrics = dict(record['final_metrics'])
    restore = bool(stopping and stopping.get('restore_best_weights', True) and best_state is not None and trained)
    if restore:
        net.load_state_dict(best_state)
    if test is not None and trained:
        for name, value in evaluate(job, net, test[0], test[1], d).items():
            final_metrics['test_' + name] = value
        out.point(step, epoch, {k: v for k, v in final_metrics.items() if k.startswith('test_')})
    record.update({'status': status, 'steps': step, 'epochs': epoch, 'final_metrics': final_metrics, 'default_weights': 'best' if restore else 'last'})
    if out.enabled:
        meta = dict(job['safetensors_metadata'])
        model_py.write_safetensors(os.path.join(out.folder, 'model.safetensors'), last_state, dict(meta, weights='last', epoch=str(epoch)))
        if best_state is not None:
            model_py.write_safetensors(os.path.join(out.folder, 'best.safetensors'), best_state, dict(meta, weights='best', epoch=str(record['best_epoch'])))
    if args.dry_run and d.rank == 0:
        print(json.dumps({'dry_run': 'ok', 'loss': final_metrics.get('loss'), 'steps': step}))


if __name__ == '__main__':
    main()
`
