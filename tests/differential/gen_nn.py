"""Convolution, pooling and normalisation programs for gen_programs.py.

Each program centres on one op of OPS (its "focus", so that every op gets about as many
programs as the others). The focus's input is a new leaf of a small random shape (N <= 3,
C <= 4, H, W <= 7), sometimes through tanh, square or sigmoid first; its parameters are
drawn at random with the edge cases made likely: a kernel as large as the padded input,
a stride above the kernel, dilation above 1, groups equal to the channels, ceil_mode
windows that run past the input. Then maybe a second op of OPS on the result and a
nonlinearity, so that second-order programs have a second derivative through the linear
ops (pad, pools, fold, upsampling). Some programs (`bad`) draw arguments that PyTorch
rejects (wrong channels, a kernel larger than the padded input, groups not dividing the
channels...) and expect the same step to fail in xgrad.

Running statistics of batch_norm are leaves without gradient that the step updates in
place (in training); their values after the forward pass are compared like every other
tensor's. They are kept out of the other ops' operands (kind "r"), but a second
batch_norm may share those of a first one in training, as a module called twice.

Left out, where PyTorch 1.13 is no reference: nearest upsampling whose backward is not
the gradient of its forward (nearest_consistent), and second-order programs whose
expected zeros come from PyTorch's zero-derivative edges (no_reference). batch_norm
without weight but with bias runs in PyTorch with a weight of ones (see apply_nn).
"""
import math
import warnings

import torch

F = torch.nn.functional
# PyTorch's note that "same" with an even kernel copies the input: not about the values.
warnings.filterwarnings("ignore", message="Using padding='same'")

PRE_OPS = ["tanh", "square", "sigmoid"]
POST_OPS = ["tanh", "square", "relu", "sigmoid"]


def apply_nn(op, a, s):
    """The op of step s on the tensors a in PyTorch (float64)."""
    x = a[0]
    if op == "pad":
        if s["mode"] == "constant":
            return F.pad(x, s["pad"], mode="constant", value=s["value"])
        return F.pad(x, s["pad"], mode=s["mode"])
    if op in ("unfold", "fold"):
        opts = {"dilation": s["dilation"], "padding": s["padding"], "stride": s["stride"]}
        if op == "unfold":
            return F.unfold(x, s["kernel"], **opts)
        return F.fold(x, s["output_size"], s["kernel"], **opts)
    bias = a[2] if len(a) > 2 else None
    if op in ("conv1d", "conv2d"):
        conv = F.conv1d if op == "conv1d" else F.conv2d
        return conv(x, a[1], bias, s["stride"], s["padding"], s["dilation"], s["groups"])
    if op == "conv_transpose2d":
        return F.conv_transpose2d(x, a[1], bias, s["stride"], s["padding"], s["output_padding"],
                                  s["groups"], s["dilation"])
    if op in ("max_pool1d", "max_pool2d"):
        pool = F.max_pool1d if op == "max_pool1d" else F.max_pool2d
        return pool(x, s["kernel"], s["stride"], s["padding"], s["dilation"], s["ceil_mode"])
    if op == "avg_pool1d":
        return F.avg_pool1d(x, s["kernel"], s["stride"], s["padding"], s["ceil_mode"],
                            s["count_include_pad"])
    if op == "avg_pool2d":
        return F.avg_pool2d(x, s["kernel"], s["stride"], s["padding"], s["ceil_mode"],
                            s["count_include_pad"], s["divisor_override"])
    if op == "adaptive_avg_pool2d":
        return F.adaptive_avg_pool2d(x, s["output_size"])
    if op == "upsample_nearest2d":
        return torch._C._nn.upsample_nearest2d(x, s["size"], s["scale_h"], s["scale_w"])
    if op == "interpolate":
        return F.interpolate(x, size=s["size"], scale_factor=s["scale_factor"], mode="nearest")
    if op == "batch_norm":
        it = iter(a[1:])
        rm, rv = (next(it), next(it)) if s["stats"] else (None, None)
        w = next(it) if s["weight"] else None
        b = next(it) if s["bias"] else None
        if w is None and b is not None:
            # The same function, but PyTorch 1.13's double backward of batch_norm without
            # weight drops what flows through the bias gradient (batchnorm_double_backward
            # reads ggB only when affine): it returns None where the gradient is not zero,
            # or fails ("Expected a proper Tensor but got None").
            w = torch.ones(x.shape[1], dtype=x.dtype)
        return F.batch_norm(x, rm, rv, w, b, s["training"], s["momentum"], s["eps"])
    raise KeyError(op)


def nearest_sources(n_in, n_out, scale, shortcut):
    """The input index each of n_out outputs reads along one axis, computed in float32
    as PyTorch does: floor(i / scale) with a scale, else floor(i * n_in / n_out); with
    `shortcut`, i and i // 2 when n_out is n_in or 2 n_in, as PyTorch's nearest_idx."""
    if shortcut and n_out == n_in:
        return list(range(n_out))
    if shortcut and n_out == 2 * n_in:
        return [i // 2 for i in range(n_out)]
    f = torch.float32
    s = torch.tensor(1.0 / scale, dtype=f) if scale else torch.tensor(n_in, dtype=f) / n_out
    idx = torch.floor(torch.arange(n_out, dtype=f) * s).long().clamp(max=n_in - 1)
    return idx.tolist()


def nearest_consistent(step, shape):
    """Whether PyTorch 1.13 gives one answer for the nearest upsampling `step` of an input
    of `shape`, so that its values and gradients make one reference.

    Not so when a scale is given and an output size is the input size or twice it, with a
    scale that does not say so (3 -> 3 with scale 2.0): its forward kernel on a contiguous
    input maps output i to floor(i / scale), but its backward, and its forward on an input
    that is also channels-last contiguous (one channel), map it to i, or i / 2, whatever
    the scale. xgrad follows the contiguous forward (tested against PyTorch's values in
    tests/autograd/test_pool.cpp) with its adjoint as the backward. These draws are left
    out."""
    spatial = shape[2:]
    if step["op"] == "upsample_nearest2d":
        sizes, scales = step["size"], [step["scale_h"], step["scale_w"]]
    else:
        factor = step["scale_factor"]
        if factor is None:
            return True  # no scale: the shortcut and the formula agree
        scales = factor if isinstance(factor, list) else [factor] * len(spatial)
        sizes = [math.floor(n * f) for n, f in zip(spatial, scales)]
    for n_in, n_out, scale in zip(spatial, sizes, scales):
        if n_out < 1:
            return True  # arguments PyTorch rejects: the generator drops the step
        if nearest_sources(n_in, n_out, scale, False) != nearest_sources(n_in, n_out, scale, True):
            return False
    return True


def no_reference(prog, exp):
    """Whether PyTorch's outcome of a second-order program is no reference for xgrad's: an
    all-zero gradient with ops whose backward PyTorch records as a function of inputs it
    does not depend on (derivatives.yaml: `self: zeros_like(self)` for the pools' and
    reflect / replicate pad's backward; every output of convolution_backward and
    native_batch_norm_backward hangs on all of its inputs). xgrad's backward leaves these
    edges out: where they are the only path, it gives None, or raises that loss2 does not
    require grad, where PyTorch gives zeros (or None for every input)."""
    if prog["order"] != 2 or "grads2" not in exp or not any(
            s["op"] in ZERO_EDGE_OPS or (s["op"] == "pad" and s["mode"] != "constant")
            for s in prog["steps"]):
        return False
    grads2 = exp["grads2"]
    return all(g is None for g in grads2) or \
        any(g is not None and not any(g["data"]) for g in grads2)


def kernel_fit(size, pad, dil):
    """The largest kernel whose dilated extent fits size + 2 pad."""
    return (size + 2 * pad - 1) // dil + 1


def draw_kernel(r, size, pad, dil, bad=False, kmax=4):
    """A kernel fitting the padded size: often the largest (output size 1), or, when bad,
    one too large. None when none fits within kmax + 2."""
    fit = kernel_fit(size, pad, dil)
    if bad:
        return fit + 1
    if fit < 1:
        return None
    if r.random() < 0.25 and fit <= kmax + 2:
        return fit
    return r.randint(1, min(kmax, fit))


def draw_stride(r, kernel):
    """1 to 3, sometimes above the kernel."""
    return kernel + 1 if r.random() < 0.15 else r.randint(1, 3)


def divisors(c):
    return [d for d in range(1, c + 1) if c % d == 0]


class NNGen:
    """Builds the steps of one program around `focus` on the Gen g (gen_programs.py)."""

    def __init__(self, g):
        self.g, self.r = g, g.r
        # Running statistics of a batch_norm in training, which a later one may share (not
        # after one in evaluation: its backward reads them, and PyTorch would see the later
        # in-place update there, with no version check).
        self.trained_stats = None

    # --- inputs ---------------------------------------------------------------------------

    def new_input(self, shape):
        """A leaf of `shape` (requiring grad mostly), sometimes through a nonlinearity."""
        g, r = self.g, self.r
        x = g.leaf(tuple(shape), r.random() < 0.97)
        if r.random() < (0.5 if g.order == 2 else 0.3):
            y = g.add({"op": r.choice(PRE_OPS), "args": [x]})
            return y or x
        return x

    def image(self, x, spatial, batched=None, c=None):
        """x when it has `spatial` spatial dims (batched or not), else a new input leaf."""
        r = self.r
        if x is not None:
            d = self.g.env[x].dim()
            return x if d in (spatial + 1, spatial + 2) and batched is not False else None
        if batched is None:
            batched = r.random() < 0.85
        shape = ([r.randint(1, 3)] if batched else []) + [c or r.randint(1, 4)] + \
            [r.randint(1, 7) for _ in range(spatial)]
        return self.new_input(shape)

    def shape(self, x):
        return list(self.g.env[x].shape)

    def param(self, shape, rg=0.8, positive=False):
        return self.g.leaf(tuple(shape), self.r.random() < rg, positive=positive)

    # --- ops: each returns a step (None when it cannot be drawn for x) ---------------------

    def pad(self, x, bad):
        r = self.r
        mode = r.choice(["constant", "reflect", "replicate"])
        if x is None:
            rank = r.randint(1 if mode == "constant" else 2, 4)
            x = self.new_input([r.randint(1, 3)] + [r.randint(1, 5) for _ in range(rank - 1)])
        sh = self.shape(x)
        d = len(sh)
        if mode == "constant":
            pairs = r.randint(1, d)
        else:
            pairs = r.choice([k for k in (d - 1, d - 2) if 1 <= k <= 3] or [0])
            if pairs == 0:
                return None
        pads = []
        for i in range(pairs):
            n = sh[d - 1 - i]
            if mode == "constant":
                lo = -((n - 1) // 2)  # crops, leaving at least one element
                pads += [r.randint(lo, 3), r.randint(lo, 3)]
            elif mode == "reflect":
                pads += [r.randint(0, n - 1), r.randint(0, n - 1)]
            else:
                pads += [r.randint(0, 3), r.randint(0, 3)]
        if bad:
            kind = r.choice(["odd", "rank", "reflect"])
            if kind == "odd":
                pads.append(1)
            elif kind == "rank" and mode != "constant":
                pads += [1, 1]  # too many dimensions for the input's rank
            else:
                mode = "reflect"
                pads[0] = sh[-1]  # as large as the size: reflect needs less
        s = {"op": "pad", "args": [x], "pad": pads, "mode": mode}
        if mode == "constant":
            s["value"] = r.choice([0.0, 1.5, -2.0])
        return s

    def window2(self, h, w, bad, kmax=4):
        """kernel, dilation, padding, stride lists for unfold over an h x w image."""
        r = self.r
        dil = [r.choice([1, 1, 2]), r.choice([1, 1, 2])]
        pad = [r.randint(0, 2), r.randint(0, 2)]
        kern = [draw_kernel(r, h, pad[0], dil[0], bad), draw_kernel(r, w, pad[1], dil[1])]
        if None in kern:
            return None
        return {"kernel": kern, "dilation": dil, "padding": pad,
                "stride": [draw_stride(r, kern[0]), draw_stride(r, kern[1])]}

    def unfold(self, x, bad):
        x = self.image(x, 2)
        if x is None:
            return None
        win = self.window2(*self.shape(x)[-2:], bad)
        return win and dict({"op": "unfold", "args": [x]}, **win)

    def fold(self, x, bad):
        """fold of a new (N, C kh kw, L) leaf, or of unfold's result with the same window."""
        g, r = self.g, self.r
        if x is not None:
            return None
        h, w, c = r.randint(1, 7), r.randint(1, 7), r.randint(1, 3)
        win = self.window2(h, w, False)
        if win is None:
            return None
        batched = r.random() < 0.85
        bad_kind = r.choice(["blocks", "channels"]) if bad else None
        if r.random() < 0.4 and not bad:
            img = self.image(None, 2, batched, c)
            h, w = self.shape(img)[-2:]
            win = self.window2(h, w, False)
            src = win and g.add(dict({"op": "unfold", "args": [img]}, **win))
            if src is None:
                return None
        else:
            blocks = 1
            for n, k, d, p, st in zip((h, w), win["kernel"], win["dilation"], win["padding"],
                                      win["stride"]):
                blocks *= (n + 2 * p - d * (k - 1) - 1) // st + 1
            shape = [c * win["kernel"][0] * win["kernel"][1] + (bad_kind == "channels"),
                     blocks + (bad_kind == "blocks")]
            src = self.new_input(([r.randint(1, 3)] if batched else []) + shape)
        return dict({"op": "fold", "args": [src], "output_size": [h, w]}, **win)

    def conv(self, x, bad, op):
        """conv1d / conv2d (spatial 1 / 2): padding numbers or "same" / "valid"."""
        r = self.r
        sp = 1 if op == "conv1d" else 2
        bad_kind = r.choice(["channels", "kernel", "groups", "same_stride", "bias", "stride",
                             "weight_rank"]) if bad else None
        if x is None:
            c = r.choice([1, 2, 3, 4, 4])
            x = self.image(None, sp, c=c)
        x = self.image(x, sp)
        if x is None:
            return None
        sh = self.shape(x)
        c, sizes = sh[-sp - 1], sh[-sp:]
        groups = c if r.random() < 0.3 else r.choice(divisors(c))
        if bad_kind == "groups":
            groups = r.choice([q for q in (2, 3, 4) if c % q] or [c + 1])
        out = groups * r.randint(1, max(1, 6 // groups))
        dil = [r.choice([1, 1, 2, 3]) for _ in range(sp)]
        mode = r.choice(["", "", "", "same", "valid"])
        if bad_kind == "same_stride":
            mode = "same"
        pad = [0] * sp if mode else [r.randint(0, 2) for _ in range(sp)]
        kern = [r.randint(1, 4) if mode == "same" else
                draw_kernel(r, sizes[i], pad[i], dil[i], bad_kind == "kernel" and i == 0)
                for i in range(sp)]
        if None in kern:
            return None
        if mode == "same":
            stride = [1] * sp
            if bad_kind == "same_stride":
                stride[0] = 2
        else:
            stride = [draw_stride(r, k) for k in kern]
        if bad_kind == "stride":
            stride[0] = 0
        cin = max(1, c // groups) + (1 if bad_kind == "channels" else 0)
        w = self.param([out, cin] + kern[:sp - (bad_kind == "weight_rank")])
        bias = r.random() < 0.5 or bad_kind == "bias"
        args = [x, w] + ([self.param([out + (bad_kind == "bias")], 0.7)] if bias else [])
        one = (lambda v: v[0]) if sp == 1 else (lambda v: v)
        return {"op": op, "args": args, "stride": one(stride), "padding": mode or one(pad),
                "dilation": one(dil), "groups": groups}

    def conv_transpose2d(self, x, bad):
        r = self.r
        bad_kind = r.choice(["channels", "groups", "output_padding"]) if bad else None
        x = self.image(x, 2)
        if x is None:
            return None
        c = self.shape(x)[-3]
        groups = c if r.random() < 0.3 else r.choice(divisors(c))
        if bad_kind == "groups":
            groups = r.choice([q for q in (2, 3, 4) if c % q] or [c + 1])
        out_per_group = r.randint(1, max(1, 4 // groups))
        stride = [r.randint(1, 3), r.randint(1, 3)]
        dil = [r.choice([1, 1, 2]), r.choice([1, 1, 2])]
        kern = [r.randint(1, 4), r.randint(1, 4)]
        pad = [r.randint(0, 2), r.randint(0, 2)]
        outpad = [r.randrange(max(s, d)) for s, d in zip(stride, dil)]
        if bad_kind == "output_padding":
            outpad[0] = max(stride[0], dil[0])
        w = self.param([c + (1 if bad_kind == "channels" else 0), out_per_group] + kern)
        args = [x, w] + ([self.param([out_per_group * groups], 0.7)] if r.random() < 0.5 else [])
        return {"op": "conv_transpose2d", "args": args, "stride": stride, "padding": pad,
                "output_padding": outpad, "groups": groups, "dilation": dil}

    def pool_window(self, sizes, bad_kind, dilation):
        """kernel, stride (None: the kernel), padding (at most half the kernel), dilation;
        bad_kind (kernel, padding, stride) makes the first dimension's invalid."""
        r = self.r
        kern, pad, dil = [], [], []
        for i, n in enumerate(sizes):
            d = r.choice([1, 1, 2, 3]) if dilation else 1
            p = r.choice([0, 0, 1, 2])
            k = draw_kernel(r, n, p, d, bad_kind == "kernel" and i == 0)
            if k is None or k < 2 * p:  # PyTorch: padding at most half the kernel
                p = 0
                k = draw_kernel(r, n, p, d, bad_kind == "kernel" and i == 0)
            if k is None:
                return None
            if bad_kind == "padding" and i == 0:
                p = k // 2 + 1
            kern.append(k)
            pad.append(p)
            dil.append(d)
        stride = None if r.random() < 0.3 else [draw_stride(r, k) for k in kern]
        if bad_kind == "stride":
            stride = [0] + kern[1:]
        return kern, stride, pad, dil

    def pool(self, x, bad, op):
        r = self.r
        sp = 1 if op.endswith("1d") else 2
        x = self.image(x, sp)
        if x is None:
            return None
        bad_kind = r.choice(["kernel", "padding", "stride"] +
                            (["divisor"] if op == "avg_pool2d" else [])) if bad else None
        win = self.pool_window(self.shape(x)[-sp:], bad_kind, op.startswith("max"))
        if win is None:
            return None
        kern, stride, pad, dil = win if sp == 2 else [v and v[0] for v in win]
        s = {"op": op, "args": [x], "kernel": kern, "stride": stride, "padding": pad,
             "ceil_mode": r.random() < 0.4}
        if op.startswith("max"):
            s["dilation"] = dil
        else:
            s["count_include_pad"] = r.random() < 0.5
            if op == "avg_pool2d":
                s["divisor_override"] = 0 if bad_kind == "divisor" else \
                    r.choice([None, None, None, 1, 2, 5])
        return s

    def adaptive_avg_pool2d(self, x, bad):
        r = self.r
        x = self.image(x, 2)
        if x is None or bad:
            return None
        h, w = self.shape(x)[-2:]
        size = [r.choice([1, h, r.randint(1, 8)]), r.choice([1, w, r.randint(1, 8)])]
        return {"op": "adaptive_avg_pool2d", "args": [x], "output_size": size}

    def upsample_nearest2d(self, x, bad):
        r = self.r
        x = self.image(x, 2, batched=not bad)  # unbatched (C, H, W): an error
        if x is None or self.g.env[x].dim() != (3 if bad else 4):
            return None
        h, w = self.shape(x)[-2:]
        size = [r.choice([h, 2 * h, r.randint(1, 10)]), r.choice([w, 2 * w, r.randint(1, 10)])]

        def scale(n, o):
            return r.choice([None, None, o / n, 0.5, 1.5, 2.0, 2.5, 3.0])

        s = {"op": "upsample_nearest2d", "args": [x], "size": size,
             "scale_h": scale(h, size[0]), "scale_w": scale(w, size[1])}
        return s if bad or nearest_consistent(s, self.shape(x)) else None

    def interpolate(self, x, bad):
        r = self.r
        sp = r.choice([1, 2]) if x is None else self.g.env[x].dim() - 2
        if sp not in (1, 2):
            return None
        x = self.image(x, sp, batched=True)
        sizes = self.shape(x)[2:]
        s = {"op": "interpolate", "args": [x], "size": None, "scale_factor": None}
        if r.random() < 0.5 or bad:
            v = [r.choice([n, 2 * n, r.randint(1, 10)]) for n in sizes]
            s["size"] = v[0] if r.random() < 0.3 else v
        if s["size"] is None or bad:
            v = [r.choice([0.5, 0.7, 1.0, 1.5, 2.0, 2.3, 3.0]) for _ in sizes]
            s["scale_factor"] = v[0] if r.random() < 0.3 else v
        return s if bad or nearest_consistent(s, self.shape(x)) else None

    def batch_norm(self, x, bad):
        g, r = self.g, self.r
        bad_kind = r.choice(["one_value", "no_stats", "weight", "stats_size"]) if bad else None
        if x is None:
            one = bad_kind == "one_value"
            shape = [1 if one else r.randint(1, 3), r.randint(1, 4)] + \
                [1 if one else r.randint(1, 4) for _ in range(r.randint(0, 2))]
            x = self.new_input(shape)
        sh = self.shape(x)
        if len(sh) < 2:
            return None
        c, per_channel = sh[1], math.prod(sh) // sh[1]
        training = r.random() < 0.6 or bad_kind == "one_value"
        stats = not training or r.random() < 0.7 or bad_kind == "stats_size"
        if bad_kind == "no_stats":
            training, stats = False, False
        elif per_channel == 1 and not bad_kind:
            training, stats = False, True  # training needs two values per channel
        s = {"op": "batch_norm", "args": [x], "stats": stats, "weight": r.random() < 0.6,
             "bias": r.random() < 0.6, "training": training,
             "momentum": r.choice([0.1, 0.5, 1.0, 0.0]), "eps": r.choice([1e-5, 1e-3, 0.5])}
        if bad_kind == "weight":
            s["weight"] = True
        if stats:
            shared = self.trained_stats
            if shared and g.env[shared[0]].shape[0] == c and r.random() < 0.8:
                rm, rv = shared
            else:
                n = c + (bad_kind == "stats_size")
                rm, rv = g.leaf((n,), False), g.leaf((n,), False, positive=True)
                g.kind[rm] = g.kind[rv] = "r"  # updated in place: only batch_norm reads them
            s["args"] += [rm, rv]
            if training:
                self.trained_stats = (rm, rv)
        if s["weight"]:
            s["args"].append(self.param([c + (1 if bad_kind == "weight" else 0)]))
        if s["bias"]:
            s["args"].append(self.param([c]))
        return s

    # --- programs -------------------------------------------------------------------------

    def draw(self, op, x, bad):
        """A step of `op` on x (None: on a new input), or None."""
        if op in ("conv1d", "conv2d"):
            return self.conv(x, bad, op)
        if op in ("max_pool1d", "avg_pool1d", "max_pool2d", "avg_pool2d"):
            return self.pool(x, bad, op)
        return getattr(self, op)(x, bad)

    def build(self, focus, bad):
        """The focus step (the program's error when bad), maybe a second op of OPS and a
        nonlinearity. False when the focus could not be drawn."""
        g, r = self.g, self.r
        step = self.draw(focus, None, bad)
        if step is None:
            return False
        if bad:
            return g.add_failing(step) is not None
        y = g.add(step)
        if y is None:
            return False
        # batch_norm often twice, as a module called twice, sharing its running statistics.
        twice = focus == "batch_norm" and r.random() < 0.4
        if twice or r.random() < 0.35:
            second = self.draw("batch_norm" if twice else r.choice(OPS), y, False)
            y = (second and g.add(second)) or y
        if r.random() < (0.6 if g.order == 2 else 0.3):
            y = g.add({"op": r.choice(POST_OPS), "args": [y]}) or y
        return True


ZERO_EDGE_OPS = {"max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d", "adaptive_avg_pool2d",
                 "batch_norm", "conv1d", "conv2d", "conv_transpose2d"}
OPS = ["pad", "unfold", "fold", "conv1d", "conv2d", "conv_transpose2d", "max_pool2d",
       "avg_pool2d", "adaptive_avg_pool2d", "max_pool1d", "avg_pool1d", "upsample_nearest2d",
       "interpolate", "batch_norm"]
# Ops with programs whose focus step PyTorch rejects.
ERROR_OPS = ["pad", "unfold", "fold", "conv1d", "conv2d", "conv_transpose2d", "max_pool2d",
             "avg_pool2d", "max_pool1d", "avg_pool1d", "upsample_nearest2d", "interpolate",
             "batch_norm"]
