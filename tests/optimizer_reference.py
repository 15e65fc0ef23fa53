#!/usr/bin/python3
"""Writes tests/optimizer_reference.hpp: the parameters torch.optim's SGD, Adam, AdamW, RMSprop and
Adagrad reach from one start under one sequence of gradients, step by step, in float64 and
float32, for each option set below; and the learning rate of each epoch under
torch.optim.lr_scheduler's schedules. test_optimizers checks ctgrad's optimizers and schedules
against them.

usage: /usr/bin/python3 tests/optimizer_reference.py > tests/optimizer_reference.hpp
(needs PyTorch: apt-get install python3-torch; the tests themselves do not)
"""

import math
import sys

import torch

STEPS = 100
START = [0.5, -1.0, 2.0, 0.25]  # w[0], w[1], w[2], b


def gradient(t, j):
    """The gradient of component j at step t (1-based): smooth, of both signs, 0 once."""
    if t == 3 and j == 1:
        return 0.0
    if j < 3:
        return math.sin(0.7 * t + j) * (1 + 0.1 * j)
    return math.cos(0.3 * t)


# (name, torch constructor, keyword arguments); the C++ test builds the same options by name.
CASES = [
    ("sgd_plain", torch.optim.SGD, dict(lr=0.1)),
    ("sgd_momentum", torch.optim.SGD, dict(lr=0.1, momentum=0.9)),
    ("sgd_dampening_decay", torch.optim.SGD, dict(lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.01)),
    ("sgd_nesterov", torch.optim.SGD, dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("adam_default", torch.optim.Adam, dict()),
    ("adam_options", torch.optim.Adam, dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
    ("adam_amsgrad", torch.optim.Adam, dict(lr=0.01, amsgrad=True)),
    ("adamw_default", torch.optim.AdamW, dict(lr=0.01)),
    ("adamw_amsgrad", torch.optim.AdamW, dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
    ("rmsprop_default", torch.optim.RMSprop, dict()),
    ("rmsprop_centered", torch.optim.RMSprop, dict(centered=True)),
    ("rmsprop_options", torch.optim.RMSprop,
     dict(lr=0.01, alpha=0.9, eps=1e-6, weight_decay=0.1, momentum=0.5, centered=True)),
    ("adagrad_default", torch.optim.Adagrad, dict()),
    ("adagrad_options", torch.optim.Adagrad,
     dict(lr=0.1, lr_decay=0.05, weight_decay=0.1, initial_accumulator_value=0.5, eps=1e-8)),
]


def trajectory(make, options, dtype):
    w = torch.tensor(START[:3], dtype=dtype, requires_grad=True)
    b = torch.tensor(START[3], dtype=dtype, requires_grad=True)
    opt = make([w, b], foreach=False, **options)
    out = []
    for t in range(1, STEPS + 1):
        w.grad = torch.tensor([gradient(t, j) for j in range(3)], dtype=dtype)
        b.grad = torch.tensor(gradient(t, 3), dtype=dtype)
        opt.step()
        out.append([float(v) for v in w.detach()] + [float(b.detach())])
    return out


EPOCHS = 15
BASE_LR = 0.1
# The loss ReduceLROnPlateau watches, one per epoch.
PLATEAU_LOSSES = [1.0, 0.9, 0.95, 0.92, 0.91, 0.905, 0.89, 0.95, 0.96, 0.97, 0.98, 0.99, 1.0, 1.0, 1.0]

SCHEDULES = [
    ("step_lr", lambda opt: torch.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)),
    ("exponential_lr", lambda opt: torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.8)),
    ("cosine_annealing_lr", lambda opt: torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=8, eta_min=0.001)),
    ("cosine_with_warmup", lambda opt: torch.optim.lr_scheduler.SequentialLR(opt, [
        torch.optim.lr_scheduler.LinearLR(opt, start_factor=0.25, total_iters=3),
        torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=9, eta_min=0.001)], milestones=[3])),
    ("reduce_lr_on_plateau", lambda opt: torch.optim.lr_scheduler.ReduceLROnPlateau(
        opt, factor=0.5, patience=2, threshold=0.01, cooldown=1, min_lr=0.01)),
]


def schedule(make):
    """The lr of epochs 0 .. EPOCHS - 1: the scheduler steps after each epoch."""
    w = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([w], lr=BASE_LR)
    scheduler = make(opt)
    out = [opt.param_groups[0]["lr"]]
    for epoch in range(EPOCHS - 1):
        opt.step()
        if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
            scheduler.step(PLATEAU_LOSSES[epoch])
        else:
            scheduler.step()
        out.append(opt.param_groups[0]["lr"])
    return out


LOGISTIC_EXAMPLES = 50


def logistic_data():
    """Two features and labels that no line separates, from formulas the C++ test repeats."""
    x = [[math.sin(1.3 * i + 0.7 * j + 0.1) for i in range(LOGISTIC_EXAMPLES)] for j in range(2)]
    y = [1.0 if math.sin(2.3 * i) > 0.2 * x[0][i] else 0.0 for i in range(LOGISTIC_EXAMPLES)]
    return torch.tensor(x, dtype=torch.float64), torch.tensor(y, dtype=torch.float64)


def lbfgs_logistic(options, calls):
    """L-BFGS on the mean logistic loss of dot(w, x) + b from 0; parameters after each step() call."""
    x, y = logistic_data()
    w = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    b = torch.zeros((), dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([w, b], **options)

    def closure():
        opt.zero_grad()
        z = w @ x + b
        loss = torch.nn.functional.binary_cross_entropy_with_logits(z, y)
        loss.backward()
        return loss

    out = []
    for _ in range(calls):
        opt.step(closure)
        with torch.no_grad():
            z = w @ x + b
            loss = float(torch.nn.functional.binary_cross_entropy_with_logits(z, y))
        state = opt.state[opt._params[0]]
        out.append([float(w[0]), float(w[1]), float(b), loss, state["n_iter"], state["func_evals"]])
    return out


def lbfgs_rosenbrock(options):
    """L-BFGS with strong Wolfe steps on Rosenbrock's function from (-1.2, 1): one step() call."""
    a = torch.tensor(-1.2, dtype=torch.float64, requires_grad=True)
    b = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([a, b], **options)

    def closure():
        opt.zero_grad()
        loss = (1 - a) ** 2 + 100 * (b - a ** 2) ** 2
        loss.backward()
        return loss

    opt.step(closure)
    state = opt.state[opt._params[0]]
    loss = float((1 - a) ** 2 + 100 * (b - a ** 2) ** 2)
    return [[float(a), float(b), 0.0, loss, state["n_iter"], state["func_evals"]]]


# (name, the runs' results): each row is (w0 or a, w1 or b, b or 0, loss, iterations so far, evaluations so far).
LBFGS_CASES = [
    ("lbfgs_logistic_default", lambda: lbfgs_logistic(dict(), 2)),
    ("lbfgs_logistic_wolfe", lambda: lbfgs_logistic(dict(max_iter=100, line_search_fn="strong_wolfe"), 1)),
    ("lbfgs_logistic_history", lambda: lbfgs_logistic(dict(lr=0.5, max_iter=30, history_size=3), 1)),
    ("lbfgs_rosenbrock_wolfe", lambda: lbfgs_rosenbrock(dict(max_iter=200, line_search_fn="strong_wolfe",
                                                            tolerance_grad=1e-12, tolerance_change=1e-14))),
]


def rows(values, literal):
    return ",\n".join("        {" + ", ".join(literal(v) for v in row) + "}" for row in values)


def main():
    out = sys.stdout
    out.write("// Generated by tests/optimizer_reference.py with PyTorch %s (torch.optim, foreach=False):\n" % torch.__version__)
    out.write("// the parameters (w[0], w[1], w[2], b) after each step. Do not edit; rerun the script.\n")
    out.write("#ifndef CTGRAD_TESTS_OPTIMIZER_REFERENCE_HPP\n#define CTGRAD_TESTS_OPTIMIZER_REFERENCE_HPP\n\n")
    out.write("#include <string_view>\n\nnamespace optimizer_reference {\n\n")
    out.write("inline constexpr int steps = %d;\n" % STEPS)
    out.write("inline constexpr double start[4] = {%s};\n\n" % ", ".join(repr(v) for v in START))
    out.write("struct trajectory {\n    std::string_view name;\n    double in_double[steps][4];\n"
              "    float in_float[steps][4];\n};\n\n")
    out.write("inline constexpr trajectory trajectories[] = {\n")
    for name, make, options in CASES:
        doubles = trajectory(make, options, torch.float64)
        floats = trajectory(make, options, torch.float32)
        out.write("    {\"%s\",\n     {\n%s\n     },\n     {\n%s\n     }},\n" % (
            name, rows(doubles, lambda v: "%.17g" % v), rows(floats, lambda v: "%.9gf" % v)))
    out.write("};\n\n")
    out.write("inline constexpr int epochs = %d;\n" % EPOCHS)
    out.write("inline constexpr double base_lr = %r;\n" % BASE_LR)
    out.write("inline constexpr double plateau_losses[epochs] = {%s};\n\n" % ", ".join(repr(v) for v in PLATEAU_LOSSES))
    out.write("struct lr_schedule {\n    std::string_view name;\n    double lr[epochs]; ///< the lr of each epoch\n};\n\n")
    out.write("inline constexpr lr_schedule schedules[] = {\n")
    for name, make in SCHEDULES:
        out.write("    {\"%s\", {%s}},\n" % (name, ", ".join("%.17g" % v for v in schedule(make))))
    out.write("};\n\n")
    out.write("inline constexpr int logistic_examples = %d;\n\n" % LOGISTIC_EXAMPLES)
    out.write("struct lbfgs_run {\n    std::string_view name;\n    int calls;\n"
              "    double after[2][6]; ///< per minimize call: w0, w1, b, loss, iterations, evaluations (both cumulative)\n};\n\n")
    out.write("inline constexpr lbfgs_run lbfgs_runs[] = {\n")
    for name, run in LBFGS_CASES:
        results = run()
        while len(results) < 2:
            results.append([0.0] * 6)
        out.write("    {\"%s\", %d, {%s}},\n" % (name, sum(1 for r in run() ), ", ".join(
            "{" + ", ".join("%.17g" % v for v in row) + "}" for row in results)))
    out.write("};\n\n} // namespace optimizer_reference\n\n#endif // CTGRAD_TESTS_OPTIMIZER_REFERENCE_HPP\n")


if __name__ == "__main__":
    main()
