#!/usr/bin/python3
"""Random autograd programs with PyTorch (float64) as the reference, for runner.cpp.

Each program is a list of steps over named tensors: leaves (float64 values with a
requires_grad flag, or i64 index tensors), ops with PyTorch's names and semantics,
in-place writes on intermediates, then a loss and a gradient phase:
  - order 1: loss.backward() and the leaves' .grad, or torch.autograd.grad(loss, inputs,
    allow_unused=True) where inputs may hold intermediates and the same tensor twice;
  - order 2: g = grad(loss, inputs1, create_graph=True), loss2 = sum over i of
    (g[i] * w[i]).sum() or g[i].pow(2).sum(), and grad(loss2, inputs2).
The expected outcome is either the values (all named tensors after the forward pass,
loss, gradients) or the stage where PyTorch raised ("step K", "grad", "grad2").

Then programs of convolutions, pooling and batch normalisation (gen_nn.py), first- and
second-order, whose gradient phase is the same.

Usage: gen_programs.py OUT.json [--first N] [--second M] [--nn-first N] [--nn-second M]
                       [--seed S]
"""
import argparse
import json
import math
import random
import sys

import torch

import gen_nn

# Shapes of new leaves; chosen so that many pairs broadcast ((3, 1) x (1, 4), (4,) x (2, 4),
# 0-D with anything).
SHAPES = [(), (1,), (3,), (4,), (2, 4), (3, 1), (1, 4), (3, 4), (2, 3, 4), (2, 1, 4), (4, 4)]
TIE_VALUES = [-1.0, -0.5, 0.0, 0.5, 1.0, 2.0]  # values drawn from here make ties and zeros
MAX_ABS = 1e4  # programs whose values leave this range are regenerated

INPLACE_OPS = {"add_", "sub_", "mul_", "div_", "add_s_", "sub_s_", "mul_s_", "div_s_", "fill_",
               "zero_", "copy_", "clamp_"}


def apply_step(env, s):
    """Runs one step in PyTorch; env maps names to tensors. Shared by generation and replay."""
    op = s["op"]
    a = [env[n] for n in s.get("args", [])]
    if op in gen_nn.OPS:
        env[s["out"]] = gen_nn.apply_nn(op, a, s)
        return
    x = a[0] if a else None
    y = a[1] if len(a) > 1 else None
    c = s.get("scalar")
    ax = s.get("axes")
    kd = s.get("keepdim", False)
    rhs = y if y is not None else c  # comparisons with a tensor or a scalar
    simple = {
        "add": lambda: x + y, "sub": lambda: x - y, "mul": lambda: x * y, "div": lambda: x / y,
        "maximum": lambda: torch.maximum(x, y), "minimum": lambda: torch.minimum(x, y),
        "pow": lambda: torch.pow(x, y), "add_s": lambda: x + c, "sub_s": lambda: x - c,
        "rsub_s": lambda: c - x, "mul_s": lambda: x * c, "div_s": lambda: x / c,
        "rdiv_s": lambda: c / x, "pow_s": lambda: x.pow(c), "rpow_s": lambda: torch.pow(c, x),
        "neg": lambda: -x, "exp": lambda: x.exp(), "log": lambda: x.log(),
        "sqrt": lambda: x.sqrt(), "abs": lambda: x.abs(), "square": lambda: torch.square(x),
        "relu": lambda: torch.relu(x), "sigmoid": lambda: torch.sigmoid(x),
        "tanh": lambda: torch.tanh(x),
        "gelu": lambda: torch.nn.functional.gelu(x, approximate=s["approximate"]),
        "leaky_relu": lambda: torch.nn.functional.leaky_relu(x, s["slope"]),
        "softplus": lambda: torch.nn.functional.softplus(x, s["beta"], s["threshold"]),
        "elu": lambda: torch.nn.functional.elu(x, s["alpha"]),
        "clamp": lambda: torch.clamp(x, s.get("min"), s.get("max")),
        "sum": lambda: x.sum() if ax is None else x.sum(ax, keepdim=kd),
        "mean": lambda: x.mean() if ax is None else x.mean(ax, keepdim=kd),
        "amax": lambda: x.max() if ax is None else x.amax(ax, keepdim=kd),
        "amin": lambda: x.min() if ax is None else x.amin(ax, keepdim=kd),
        "logsumexp": lambda: torch.logsumexp(x, ax, keepdim=kd),
        "var": lambda: torch.var(x, ax, correction=s["correction"], keepdim=kd),
        "std": lambda: torch.std(x, ax, correction=s["correction"], keepdim=kd),
        "softmax": lambda: torch.softmax(x, s["axis"]),
        "log_softmax": lambda: torch.log_softmax(x, s["axis"]),
        "matmul": lambda: torch.matmul(x, y),
        "linear": lambda: torch.nn.functional.linear(x, y, a[2] if len(a) > 2 else None),
        "reshape": lambda: x.reshape(s["shape"]),
        "flatten": lambda: x.flatten(s["start"], s["end"]),
        "transpose": lambda: x.transpose(s["dim0"], s["dim1"]),
        "permute": lambda: x.permute(s["axes"]),
        "squeeze": lambda: x.squeeze() if s.get("axis") is None else x.squeeze(s["axis"]),
        "unsqueeze": lambda: x.unsqueeze(s["axis"]),
        "broadcast_to": lambda: torch.broadcast_to(x, s["shape"]),
        "sum_to_size": lambda: x.sum_to_size(s["shape"]),
        "slice": lambda: x[(slice(None),) * (s["axis"] % x.dim()) +
                          (slice(s["start"], s["stop"], s["step"]),)],
        "index_select": lambda: torch.index_select(x, s["axis"], y),
        "gather": lambda: torch.gather(x, s["axis"], y),
        "concat": lambda: torch.cat(a, s["axis"]), "stack": lambda: torch.stack(a, s["axis"]),
        "clone": lambda: x.clone(), "detach": lambda: x.detach(),
        "gt": lambda: x > rhs, "lt": lambda: x < rhs, "ge": lambda: x >= rhs,
        "le": lambda: x <= rhs, "eq": lambda: x == rhs, "ne": lambda: x != rhs,
        "where": lambda: torch.where(x, y, a[2]),
        "where_s": lambda: torch.where(x, y, c),  # scalar second branch
        # In-place ops: the result is the target itself.
        "add_": lambda: x.add_(y), "sub_": lambda: x.sub_(y), "mul_": lambda: x.mul_(y),
        "div_": lambda: x.div_(y), "add_s_": lambda: x.add_(c), "sub_s_": lambda: x.sub_(c),
        "mul_s_": lambda: x.mul_(c), "div_s_": lambda: x.div_(c), "fill_": lambda: x.fill_(c),
        "zero_": lambda: x.zero_(), "copy_": lambda: x.copy_(y),
        "clamp_": lambda: x.clamp_(s.get("min"), s.get("max")),
    }
    env[s["out"]] = simple[op]()


def flat(t):
    if t._is_zerotensor():  # a gradient PyTorch knows to be zero has no storage to list
        return [0.0] * t.numel()
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def finite_small(t):
    if t.dtype == torch.bool or t.dtype == torch.int64:
        return True
    v = t.detach()
    return bool(torch.isfinite(v).all()) and (v.numel() == 0 or float(v.abs().max()) < MAX_ABS)


def broadcast_ok(s1, s2):
    try:
        torch.broadcast_shapes(s1, s2)
        return True
    except RuntimeError:
        return False


class Gen:
    """Builds one program, running each new step in PyTorch to pick valid arguments."""

    def __init__(self, rng, order, pid):
        self.r, self.order, self.pid = rng, order, pid
        self.env, self.kind, self.group, self.bound = {}, {}, {}, {}
        self.leaves, self.steps, self.used = [], [], set()
        self.no_inplace = set()  # see keep_out()
        self.n = 0
        self.error_stage = None

    def name(self, prefix):
        self.n += 1
        return f"{prefix}{self.n}"

    def leaf(self, shape, requires_grad, positive=False, values=None):
        r = self.r
        numel = math.prod(shape)
        if values is None:
            if r.random() < 0.2 and not positive:
                values = [r.choice(TIE_VALUES) for _ in range(numel)]
            elif positive:
                values = [r.uniform(0.2, 2.0) for _ in range(numel)]
            else:
                values = [r.uniform(-2.0, 2.0) for _ in range(numel)]
        nm = self.name("x" if requires_grad else "c")
        t = torch.tensor(values, dtype=torch.float64).reshape(shape).clone()  # not a view
        t.requires_grad_(requires_grad)
        self.env[nm], self.kind[nm], self.group[nm] = t, "f", nm
        self.leaves.append({"name": nm, "dtype": "f64", "shape": list(shape), "values": values,
                            "requires_grad": requires_grad})
        return nm

    def index_leaf(self, shape, bound):
        nm = self.name("i")
        values = [self.r.randrange(bound) for _ in range(math.prod(shape))]
        self.env[nm] = torch.tensor(values, dtype=torch.int64).reshape(shape).clone()
        self.kind[nm], self.group[nm], self.bound[nm] = "i", nm, bound
        self.leaves.append({"name": nm, "dtype": "i64", "shape": list(shape), "values": values,
                            "requires_grad": False})
        return nm

    def floats(self, pred=lambda t: True):
        return [n for n, k in self.kind.items() if k == "f" and pred(self.env[n])]

    def pick(self, pred=lambda t: True):
        """A float tensor (recent and grad-requiring ones preferred), or None."""
        c = self.floats(pred)
        if not c:
            return None
        w = [(3 if self.env[n].requires_grad else 1) * (1 + i / len(c)) for i, n in enumerate(c)]
        return self.r.choices(c, w)[0]

    def partner(self, shape, inplace=False):
        """A float tensor broadcasting with `shape` (into it when inplace), maybe a new leaf."""
        r = self.r
        ok = (lambda t: broadcast_ok(t.shape, shape) and
              torch.broadcast_shapes(t.shape, shape) == shape) if inplace else \
            (lambda t: broadcast_ok(t.shape, shape))
        if r.random() < 0.5:
            c = self.floats(ok)
            if c:
                return r.choice(c)
        shapes = [sh for sh in SHAPES if ok(torch.empty(sh))] or [tuple(shape)]
        return self.leaf(r.choice(shapes), r.random() < 0.5)

    def add(self, step, prefix="t"):
        """Runs a step in PyTorch; keeps it if it succeeds with finite moderate values."""
        inplace = step["op"] in INPLACE_OPS
        step["out"] = step["args"][0] if inplace else self.name(prefix)
        if inplace:  # check the result out of place first: an in-place write cannot be undone
            probe = dict(self.env)
            probe[step["out"]] = self.env[step["out"]].detach().clone()
            try:
                apply_step(probe, step)
            except Exception:  # arguments PyTorch rejects: draw another step
                return None
            if not finite_small(probe[step["out"]]):
                return None
        try:
            apply_step(self.env, step)
        except Exception:
            if not inplace:
                return None
            self.error_stage = f"step {len(self.steps)}"  # e.g. in-place on a leaf
            self.steps.append(step)
            return step["out"]
        out = self.env[step["out"]]
        if not finite_small(out) or out.numel() == 0:
            del self.env[step["out"]]
            return None
        self.used.update(step["args"])
        self.keep_out(step)
        if not inplace:
            dt = out.dtype
            self.kind[step["out"]] = "f" if dt == torch.float64 else "m"
            self.group[step["out"]] = self.group[step["args"][0]] if step["op"] == "detach" \
                else step["out"]
        self.steps.append(step)
        return step["out"]

    def add_failing(self, step):
        """A step PyTorch must reject, ending the program there; None when it runs."""
        step["out"] = self.name("t")
        try:
            apply_step(dict(self.env), step)
        except (RuntimeError, ValueError):  # what run_program records as an error
            self.error_stage = f"step {len(self.steps)}"
            self.steps.append(step)
            return step["out"]
        return None

    def keep_out(self, step):
        """Marks tensors whose in-place writes would test an implementation choice rather than
        a semantic: which tensors an op saves for backward, where either choice computes the
        same gradient. PyTorch 1.13 saves the input of gather and of mean over axes (for its
        shape) and copies batched matmul operands; elu and c / x save the input in xgrad but
        the output in PyTorch; pow(c, x) and pow(x, y) save their output in PyTorch only."""
        op, args = step["op"], step["args"]
        if op == "gather" or (op == "mean" and step.get("axes") is not None):
            self.no_inplace.add(args[0])
        elif op == "matmul" and max(self.env[a].dim() for a in args) >= 3:
            self.no_inplace.update(args)
        elif op in ("elu", "rdiv_s"):
            self.no_inplace.update([args[0], step["out"]])
        elif op in ("pow", "rpow_s"):
            self.no_inplace.add(step["out"])

    def axes(self, t):
        d = t.dim()
        k = self.r.randint(1, d)
        return sorted(self.r.sample(range(d), k)) if self.r.random() < 0.7 else \
            [a - d for a in sorted(self.r.sample(range(d), k))]

    def random_op(self):
        r = self.r
        pos = lambda t: float(t.detach().min()) > 0.1 if t.numel() else False
        nonzero = lambda t: float(t.detach().abs().min()) > 0.2
        small = lambda t: float(t.detach().abs().max()) < 5
        nd = lambda t: t.dim() >= 1
        kind = r.choices(["bin", "scal", "un", "red", "soft", "lin", "shape", "idx", "where",
                          "inplace", "idx_inplace"],
                         [14, 8, 16, 10, 3, 5, 12, 5, 4, 18, 4])[0]
        if kind == "bin":
            op = r.choice(["add", "sub", "mul", "div", "maximum", "minimum", "pow"])
            x = self.pick(pos if op == "pow" else lambda t: True)
            if x is None:
                return None
            y = self.partner(self.env[x].shape)
            if op == "div" and not nonzero(self.env[y]):
                y = self.leaf(self.env[y].shape, r.random() < 0.5, positive=True)
            if op == "pow" and not small(self.env[y]):
                return None
            if r.random() < 0.5:
                x, y = (y, x) if op not in ("div", "pow") else (x, y)
            return self.add({"op": op, "args": [x, y]})
        if kind == "scal":
            op = r.choice(["add_s", "sub_s", "rsub_s", "mul_s", "div_s", "rdiv_s", "pow_s",
                           "rpow_s"])
            c = r.choice([-1.5, 0.5, 2.0, 3.0])
            pred = lambda t: True
            if op == "rdiv_s":
                pred = nonzero
            elif op == "pow_s":
                c = r.choice([2.0, 3.0, 0.5, -1.0, 1.5, -0.5])
                pred = pos if c != int(c) or c < 0 else (lambda t: True)
            elif op == "rpow_s":
                c, pred = r.choice([2.0, 0.5, 3.0]), small
            x = self.pick(pred)
            return None if x is None else self.add({"op": op, "args": [x], "scalar": c})
        if kind == "un":
            op = r.choice(["neg", "exp", "log", "sqrt", "abs", "square", "relu", "sigmoid",
                           "tanh", "gelu", "leaky_relu", "softplus", "elu", "clamp", "clone",
                           "detach"])
            # elu: no exact zeros (PyTorch's first and second derivatives take different
            # sides of the kink there).
            x = self.pick(pos if op in ("log", "sqrt") else small if op == "exp" else
                          (lambda t: bool((t != 0).all())) if op == "elu" else lambda t: True)
            if x is None:
                return None
            s = {"op": op, "args": [x]}
            if op == "gelu":
                s["approximate"] = r.choice(["none", "tanh"])
            elif op == "leaky_relu":
                s["slope"] = r.choice([0.01, 0.2])
            elif op == "softplus":
                s["beta"], s["threshold"] = r.choice([1.0, 2.0]), r.choice([20.0, 1.0])
            elif op == "elu":
                s["alpha"] = r.choice([1.0, 0.5])
            elif op == "clamp":
                lo, hi = r.choice([(-0.5, 0.5), (None, 0.5), (-0.5, None), (0.0, 1.0)])
                if lo is not None:
                    s["min"] = lo
                if hi is not None:
                    s["max"] = hi
            return self.add(s)
        if kind == "red":
            op = r.choice(["sum", "mean", "amax", "amin", "logsumexp", "var", "std"])
            x = self.pick(nd if op in ("logsumexp", "var", "std") else lambda t: True)
            if x is None:
                return None
            t = self.env[x]
            s = {"op": op, "args": [x]}
            if op in ("logsumexp", "var", "std") or (t.dim() > 0 and r.random() < 0.7):
                s["axes"], s["keepdim"] = self.axes(t), r.random() < 0.5
            if op in ("var", "std"):
                s["correction"] = r.choice([0, 1])
            return self.add(s)
        if kind == "soft":
            x = self.pick(nd)
            if x is None:
                return None
            d = self.env[x].dim()
            return self.add({"op": r.choice(["softmax", "log_softmax"]), "args": [x],
                             "axis": r.randrange(-d, d)})
        if kind == "lin":
            x = self.pick(lambda t: 1 <= t.dim() <= 3)
            if x is None:
                return None
            sh = list(self.env[x].shape)
            rg = r.random() < 0.6
            if r.random() < 0.3:
                w = self.leaf((r.randint(1, 4), sh[-1]), rg)
                args = [x, w] + ([self.leaf((self.env[w].shape[0],), rg)] if r.random() < 0.6
                                 else [])
                return self.add({"op": "linear", "args": args})
            n, m = sh[-1], r.randint(1, 4)
            other = r.choice([(n,), (n, m), (2, n, m)] if len(sh) < 3 else
                             [(n,), (n, m), (sh[0], n, m)])
            y = self.leaf(other, rg)
            if r.random() < 0.2 and len(sh) == 1:  # vector on the right: (k, n) @ (n,)
                y, x = x, self.leaf((m, n), rg)
            return self.add({"op": "matmul", "args": [x, y]})
        if kind == "shape":
            return self.shape_op()
        if kind == "idx":
            x = self.pick(nd)
            if x is None:
                return None
            sh = list(self.env[x].shape)
            axis = r.randrange(len(sh))
            sa = axis - len(sh) if r.random() < 0.3 else axis
            if r.random() < 0.5:
                i = self.index_leaf((r.randint(1, 4),), sh[axis])
                return self.add({"op": "index_select", "args": [x, i], "axis": sa})
            ish = list(sh)
            ish[axis] = r.randint(1, 4)
            i = self.index_leaf(tuple(ish), sh[axis])
            return self.add({"op": "gather", "args": [x, i], "axis": sa})
        if kind == "where":
            a = self.pick()
            if a is None:
                return None
            b = self.partner(self.env[a].shape)
            op = r.choice(["gt", "lt", "ge", "le", "eq", "ne"])
            if r.random() < 0.5:
                m = self.add({"op": op, "args": [a, b]})
            else:
                m = self.add({"op": op, "args": [a], "scalar": r.choice([0.0, 0.5, -0.5])})
            if m is None:
                return None
            shape = torch.broadcast_shapes(self.env[m].shape, self.env[a].shape)
            y = self.partner(shape)
            if r.random() < 0.25:
                return self.add({"op": "where_s", "args": [m, y], "scalar": -0.25})
            z = self.partner(torch.broadcast_shapes(shape, self.env[y].shape))
            return self.add({"op": "where", "args": [m, y, z] if r.random() < 0.5 else [m, z, y]})
        if kind == "inplace":
            return self.inplace_op()
        return self.index_inplace()

    def shape_op(self):
        r = self.r
        op = r.choice(["reshape", "flatten", "transpose", "permute", "squeeze", "unsqueeze",
                       "broadcast_to", "sum_to_size", "slice", "concat", "stack"])
        x = self.pick(lambda t: t.dim() >= (2 if op in ("transpose", "permute") else
                                            0 if op in ("reshape", "unsqueeze", "squeeze",
                                                        "broadcast_to", "stack") else 1))
        if x is None:
            return None
        t = self.env[x]
        sh, d = list(t.shape), t.dim()
        s = {"op": op, "args": [x]}
        if op == "reshape":
            shapes = [list(q) for q in SHAPES if math.prod(q) == t.numel()] + [[t.numel()]]
            s["shape"] = r.choice(shapes)
            if s["shape"] and r.random() < 0.3:
                s["shape"][r.randrange(len(s["shape"]))] = -1
        elif op == "flatten":
            a = r.randrange(d)
            s["start"], s["end"] = a, r.randrange(a, d)
        elif op == "transpose":
            s["dim0"], s["dim1"] = r.randrange(-d, d), r.randrange(-d, d)
        elif op == "permute":
            s["axes"] = r.sample(range(d), d)
        elif op == "squeeze":
            if d and r.random() < 0.7:
                s["axis"] = r.randrange(-d, d)
        elif op == "unsqueeze":
            s["axis"] = r.randrange(-d - 1, d + 1)
        elif op == "broadcast_to":
            target = [q if q != 1 else r.choice([1, 2, 3]) for q in sh]
            s["shape"] = [r.randint(1, 3)] * (r.random() < 0.3) + target
        elif op == "sum_to_size":  # not on 0-D: PyTorch 1.13 then copies instead of aliasing
            s["shape"] = [1 if r.random() < 0.5 else q for q in sh][r.randint(0, min(d, 1)):]
        elif op == "slice":
            a = r.randrange(d)
            s["axis"] = a - d if r.random() < 0.3 else a
            s["start"], s["stop"] = r.choice([0, 1, -2]), r.choice([sh[a], -1, 3, 100])
            s["step"] = r.choice([1, 1, 2])
        else:  # concat / stack with the same tensor twice or a new leaf
            if op == "concat":
                s["axis"] = r.randrange(-d, d)
                o = list(sh)
                o[s["axis"]] = r.randint(1, 3)
            else:
                s["axis"] = r.randrange(-d - 1, d + 1)
                o = sh
            s["args"] = [x, x if r.random() < 0.4 else self.leaf(tuple(o), r.random() < 0.5)]
        return self.add(s)

    def target_ok(self, n):
        """In-place targets: not a PyTorch view, no alias that xgrad would not share."""
        t = self.env[n]
        if t._is_view() or any(self.group[m] == self.group[n] for m in self.no_inplace):
            return False
        p = t.storage().data_ptr()
        return all(self.group[m] == self.group[n] for m, u in self.env.items()
                   if m != n and u.storage().data_ptr() == p)

    def inplace_op(self):
        r = self.r
        leaf_err = r.random() < 0.015  # in-place on a leaf that requires grad: error in both
        c = [n for n in self.floats() if self.target_ok(n) and
             (leaf_err or not (self.env[n].is_leaf and self.env[n].requires_grad))]
        if not c:
            return None
        # Prefer tensors that earlier ops may have saved for backward.
        x = r.choices(c, [4 if n in self.used else 1 for n in c])[0]
        sh = self.env[x].shape
        op = r.choice(["add_", "sub_", "mul_", "div_", "add_s_", "sub_s_", "mul_s_", "div_s_",
                       "fill_", "zero_", "copy_", "clamp_"])
        s = {"op": op, "args": [x]}
        if op in ("add_", "sub_", "mul_", "div_", "copy_"):
            y = x if r.random() < 0.1 and op != "div_" else self.partner(sh, inplace=True)
            if op == "div_" and float(self.env[y].detach().abs().min()) < 0.2:
                return None
            s["args"].append(y)
        elif op in ("add_s_", "sub_s_", "mul_s_", "div_s_", "fill_"):
            s["scalar"] = r.choice([0.5, -2.0, 1.5])
        elif op == "clamp_":
            lo, hi = r.choice([(-0.5, 0.5), (None, 0.25), (0.0, None)])
            if lo is not None:
                s["min"] = lo
            if hi is not None:
                s["max"] = hi
        return self.add(s)

    def index_inplace(self):
        """In-place writes on index tensors and comparison masks (saved by gather, where...)."""
        r = self.r
        c = [n for n, k in self.kind.items() if k in ("i", "m") and self.target_ok(n)]
        if not c:
            return None
        x = r.choices(c, [4 if n in self.used else 1 for n in c])[0]
        op = r.choice(["zero_", "fill_", "copy_"] if self.kind[x] == "i" else ["zero_", "fill_"])
        if op == "zero_":
            return self.add({"op": "zero_", "args": [x]})
        if op == "fill_":
            return self.add({"op": "fill_", "args": [x], "scalar": 0.0 if self.kind[x] == "i"
                             else float(r.randint(0, 1))})
        src = self.index_leaf(tuple(self.env[x].shape), self.bound[x])
        return self.add({"op": "copy_", "args": [x, src]})

    def build(self, focus=None, bad=False):
        """Steps, loss and gradient phase; returns the program (without expectations).
        With a focus (an op of gen_nn.OPS), the steps are gen_nn's program around it."""
        r = self.r
        if focus is not None:
            return self.finish() if gen_nn.NNGen(self).build(focus, bad) else None
        for _ in range(r.randint(1, 3)):
            self.leaf(r.choice(SHAPES), r.random() < 0.8)
        if not any(l["requires_grad"] for l in self.leaves):
            self.leaf(r.choice(SHAPES), True)
        target = r.randint(2, 8) if self.order == 1 else r.randint(2, 6)
        tries = 0
        while len(self.steps) < target and tries < 60 and self.error_stage is None:
            tries += 1
            self.random_op()
        return self.finish()

    def finish(self):
        prog = {"id": self.pid, "order": self.order}
        if self.error_stage is None and not self.make_loss(prog):
            return None
        prog.update({"leaves": self.leaves, "steps": self.steps})
        return prog

    def make_loss(self, prog):
        r = self.r
        # Loss: sum of (t * c).sum() over one to three tensors, preferring unused results.
        fl = self.floats()
        cand = [n for n in fl if n not in self.used and self.env[n].requires_grad] or \
            [n for n in fl if self.env[n].requires_grad] or fl
        terms = []
        for t in r.sample(cand, min(len(cand), r.randint(1, 3))):
            w = self.leaf(tuple(self.env[t].shape), False)
            p = self.add({"op": "mul", "args": [t, w]})
            terms.append(p and self.add({"op": "sum", "args": [p]}))
        loss = terms[0]
        for t in terms[1:]:
            loss = loss and t and self.add({"op": "add", "args": [loss, t]})
        if loss is None or self.error_stage is not None:
            return False
        prog["loss"] = loss
        leaves = [l["name"] for l in self.leaves if l["requires_grad"]]
        inter = [n for n in self.floats() if not self.env[n].is_leaf and
                 self.env[n].requires_grad and n != loss]

        def inputs(k):
            pool = leaves + inter if r.random() < 0.4 else leaves
            xs = r.sample(pool, min(len(pool), k))
            if xs and r.random() < 0.3:  # the same tensor twice
                xs.insert(r.randrange(len(xs) + 1), r.choice(xs))
            if r.random() < 0.02:  # a tensor that does not require grad: error in both
                xs.append(r.choice(self.floats()))
            return xs

        if self.order == 1:
            prog["mode"] = "backward" if r.random() < 0.3 else "grad"
            prog["inputs"] = leaves if prog["mode"] == "backward" else inputs(r.randint(1, 3))
        else:
            prog["mode"] = "grad"
            prog["inputs"] = inputs(r.randint(1, 2))
            comb = []
            for x in prog["inputs"]:
                if r.random() < 0.4:
                    comb.append({"kind": "pow2"})
                else:
                    comb.append({"kind": "mul", "w": self.leaf(tuple(self.env[x].shape),
                                                               r.random() < 0.3)})
            prog["combine"] = comb
            prog["inputs2"] = [l["name"] for l in self.leaves if l["requires_grad"]]
        return True


def run_program(prog):
    """Replays a program from its JSON form in PyTorch; returns the expected outcome."""
    env, exp = {}, {}
    for l in prog["leaves"]:
        dt = torch.float64 if l["dtype"] == "f64" else torch.int64
        env[l["name"]] = torch.tensor(l["values"], dtype=dt).reshape(l["shape"]).clone() \
            .requires_grad_(l["requires_grad"])
    for k, s in enumerate(prog["steps"]):
        try:
            apply_step(env, s)
        except (RuntimeError, ValueError) as e:  # F.batch_norm raises ValueError
            return {"error": {"stage": f"step {k}", "message": str(e).split("\n")[0]}}
    exp["values"] = {n: {"shape": list(t.shape), "data": flat(t.to(torch.float64))}
                     for n, t in env.items()}

    def grads(gs):
        return [None if g is None else {"shape": list(g.shape), "data": flat(g)} for g in gs]

    stage = "grad"
    try:
        loss = env[prog["loss"]]
        exp["loss"] = float(loss)
        xs = [env[n] for n in prog["inputs"]]
        if prog["mode"] == "backward":
            loss.backward()
            exp["grads"] = grads([x.grad for x in xs])
        elif prog["order"] == 1:
            exp["grads"] = grads(torch.autograd.grad(loss, xs, allow_unused=True))
        else:
            g = torch.autograd.grad(loss, xs, create_graph=True, allow_unused=True)
            exp["grads"] = grads(g)
            stage = "grad2"
            terms = [(gi * env[c["w"]]).sum() if c["kind"] == "mul" else gi.pow(2).sum()
                     for gi, c in zip(g, prog["combine"]) if gi is not None]
            if not terms:
                return None
            loss2 = sum(terms[1:], terms[0])
            exp["loss2"] = float(loss2)
            exp["grads2"] = grads(torch.autograd.grad(
                loss2, [env[n] for n in prog["inputs2"]], allow_unused=True))
    except RuntimeError as e:
        exp["error"] = {"stage": stage, "message": str(e).split("\n")[0]}
    return exp


def all_finite(exp):
    vals = [exp.get("loss", 0.0), exp.get("loss2", 0.0)]
    for g in exp.get("grads", []) + exp.get("grads2", []):
        if g is not None:
            vals += g["data"]
    for v in exp.get("values", {}).values():
        vals += v["data"]
    return all(math.isfinite(v) and abs(v) < MAX_ABS for v in vals)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out")
    ap.add_argument("--first", type=int, default=2000)
    ap.add_argument("--second", type=int, default=300)
    ap.add_argument("--nn-first", type=int, default=420)
    ap.add_argument("--nn-second", type=int, default=140)
    ap.add_argument("--seed", type=int, default=20240611)
    args = ap.parse_args()
    torch.set_grad_enabled(True)
    progs = []

    def draw(rng, order, count, focus=None):
        """count programs; with focus (gen_nn.OPS), each op of it in turn at the centre."""
        for k in range(count):
            while True:
                op = focus[k % len(focus)] if focus else None
                # Every sixth first-order program of an op expects PyTorch's error.
                bad = order == 1 and op in gen_nn.ERROR_OPS and k // len(focus) % 6 == 5
                prog = Gen(rng, order, len(progs)).build(op, bad)
                exp = prog and run_program(prog)
                if exp is None or not all_finite(exp):
                    continue  # overflow, nan or no first-order gradient: draw another one
                if exp.get("error", {}).get("stage") == "grad2" and rng.random() < 0.9:
                    continue  # mostly a loss linear in the inputs: keep a few of these
                if focus and gen_nn.no_reference(prog, exp):
                    continue  # PyTorch's gradients are no reference there: see no_reference
                prog["expected"] = exp
                progs.append(prog)
                break

    rng = random.Random(args.seed)
    for order, count in ((1, args.first), (2, args.second)):
        draw(rng, order, count)
    rng = random.Random(args.seed + 1)  # the programs above do not depend on gen_nn's
    for order, count in ((1, args.nn_first), (2, args.nn_second)):
        draw(rng, order, count, gen_nn.OPS)
    with open(args.out, "w") as f:
        json.dump({"torch_version": torch.__version__, "seed": args.seed, "programs": progs}, f)
    errors = sum("error" in p["expected"] for p in progs)
    print(f"gen_programs: {len(progs)} programs ({errors} expect an error) -> {args.out}")


if __name__ == "__main__":
    sys.exit(main())
