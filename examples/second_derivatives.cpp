// d2l 3.4, exercise 4: second derivatives. In PyTorch they need create_graph=True and a
// second backward pass; here a second derivative is just another derivative of a derivative,
// a type derived at compile time:
//   - the Hessian of the d2l loss by b, d(d(loss, b), b), is the constant 1;
//   - the Hessian by the vector w is a d x d matrix, not an expression, but its product with
//     any vector v is: d(dot(d(loss, w), v), w) = dot(x, v) * x (the Hessian is x x').
// Both are evaluated at a data point and checked against finite differences of the loss
// itself (exit status 1 if they disagree by more than 1e-6), for the d2l loss and for the
// logistic loss, whose Hessian depends on w. Last, ctgrad::newton, which builds the whole
// Hessian of a loss of a few scalar parameters from such derivatives, fits y = a exp(-k x).
#include <ctgrad/ctgrad.hpp>
#include <ctgrad/optim/newton.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

using namespace ctgrad::literals;

namespace {

constexpr ctgrad::input_vec<"x"> x;
constexpr ctgrad::input<"y"> y;
constexpr ctgrad::param_vec<"w"> w;
constexpr ctgrad::param<"b"> b;
constexpr ctgrad::param_vec<"v"> v; // the direction of the Hessian-vector product

constexpr auto loss = ctgrad::square(ctgrad::dot(x, w) + b - y) / 2_c;
constexpr auto hessian_b = ctgrad::d(ctgrad::d(loss, b), b);
constexpr auto hvp = ctgrad::d(ctgrad::dot(ctgrad::d(loss, w), v), w);
static_assert(std::is_same_v<std::remove_cv_t<decltype(hessian_b)>, ctgrad::one_t>);
static_assert(std::is_same_v<std::remove_cv_t<decltype(hvp)>, decltype(ctgrad::dot(x, v) * x)>);

// Logistic regression's loss with labels y in {-1, 1}: log(1 + exp(-y (dot(x, w) + b))).
constexpr auto logistic = ctgrad::log(1_c + ctgrad::exp(-(y * (ctgrad::dot(x, w) + b))));
constexpr auto logistic_hessian_b = ctgrad::d(ctgrad::d(logistic, b), b);
constexpr auto logistic_hvp = ctgrad::d(ctgrad::dot(ctgrad::d(logistic, w), v), w);

using vec = std::vector<double>;

std::string format(const vec& values) {
    std::string out = "[";
    for (std::size_t i = 0; i < values.size(); ++i) {
        char buffer[32];
        std::snprintf(buffer, sizeof buffer, "%s%.10f", i ? ", " : "", values[i]);
        out += buffer;
    }
    return out + "]";
}

vec plus(vec a, const vec& b, double t) {
    for (std::size_t i = 0; i < a.size(); ++i) a[i] += t * b[i];
    return a;
}

// Fourth-order central differences, so that the check below is far inside 1e-6: with
// h = 1e-3 the truncation error is ~h^4 = 1e-12 and the rounding error ~1e-16 / h^2 = 1e-10.
constexpr double h = 1e-3;
constexpr double stencil[] = {1.0 / 12, -8.0 / 12, 8.0 / 12, -1.0 / 12}; // at -2h, -h, h, 2h
constexpr double offsets[] = {-2, -1, 1, 2};

/// Checks the second derivatives of `e` at one data point against finite differences of e
/// alone (its exact derivatives play no part in them). Returns the largest difference.
template <class E, class Hb, class Hv>
double check_point(const char* name, const E& e, const Hb& h_b, const Hv& h_v, const vec& xs, double yv, const vec& ws,
                   double bv, const vec& vs) {
    const auto f = [&](const vec& wt, double bt) { return ctgrad::eval(e, x = xs, y = yv, w = wt, b = bt); };
    const double exact_b = ctgrad::eval(h_b, x = xs, y = yv, w = ws, b = bv);
    const double fd_b = (-f(ws, bv + 2 * h) + 16 * f(ws, bv + h) - 30 * f(ws, bv) + 16 * f(ws, bv - h) - f(ws, bv - 2 * h)) /
                        (12 * h * h);
    // (H v)_i is the mixed second derivative of the loss along e_i and along v: a central
    // difference along v of central differences along e_i.
    const auto exact_v = ctgrad::eval(h_v, x = xs, y = yv, w = ws, b = bv, v = vs);
    vec fd_v(ws.size()), ev(ws.size()), diff(ws.size());
    double worst = std::abs(exact_b - fd_b);
    for (std::size_t i = 0; i < ws.size(); ++i) {
        vec unit(ws.size(), 0.0);
        unit[i] = 1;
        for (std::size_t j = 0; j < 4; ++j)
            for (std::size_t k = 0; k < 4; ++k)
                fd_v[i] += stencil[j] * stencil[k] * f(plus(plus(ws, vs, offsets[j] * h), unit, offsets[k] * h), bv);
        fd_v[i] /= h * h;
        ev[i] = exact_v(i);
        diff[i] = ev[i] - fd_v[i];
        worst = std::max(worst, std::abs(diff[i]));
    }
    std::printf("%s\n", name);
    std::printf("  d(d(loss, b), b):    symbolic %.10f, finite difference %.10f, difference %.1e\n", exact_b, fd_b,
                exact_b - fd_b);
    std::printf("  H v by w, symbolic:  %s\n", format(ev).c_str());
    std::printf("  finite differences:  %s\n", format(fd_v).c_str());
    std::printf("  difference:          [");
    for (std::size_t i = 0; i < diff.size(); ++i) std::printf("%s%.1e", i ? ", " : "", diff[i]);
    std::printf("]\n");
    return worst;
}

} // namespace

int main() {
    std::cout << "loss:                          " << loss << '\n'
              << "d(loss, b):                    " << ctgrad::d(loss, b) << '\n'
              << "d(d(loss, b), b):              " << hessian_b << '\n'
              << "d(loss, w):                    " << ctgrad::d(loss, w) << '\n'
              << "d(dot(d(loss, w), v), w):      " << hvp << "   (the Hessian by w is x x')\n"
              << "logistic loss:                 " << logistic << '\n'
              << "  (its second derivatives are longer: " << ctgrad::to_string(logistic_hvp).size()
              << " characters for the Hessian-vector product)\n\n";

    const vec xs{1.5, -0.5, 2.0}, ws{0.3, -0.2, 0.1}, vs{1.0, 2.0, -1.0};
    std::cout << "at x = [1.5, -0.5, 2], w = [0.3, -0.2, 0.1], b = 0.1, v = [1, 2, -1]:\n";
    const double worst_d2l = check_point("d2l loss, y = 2:", loss, hessian_b, hvp, xs, 2.0, ws, 0.1, vs);
    const double worst_logistic =
        check_point("logistic loss, y = -1:", logistic, logistic_hessian_b, logistic_hvp, xs, -1.0, ws, 0.1, vs);
    const double worst = std::max(worst_d2l, worst_logistic);
    std::printf("largest |symbolic - finite difference|: [%.1e]\n\n", worst);
    if (!(worst <= 1e-6)) {
        std::cerr << "second_derivatives: the symbolic second derivatives disagree with finite differences\n";
        return 1;
    }

    // Newton: y = a exp(-k x), a = 2 and k = 0.7, 40 points on [0, 5] with noise 0.01.
    constexpr ctgrad::input<"x"> t;
    constexpr ctgrad::param<"a"> a;
    constexpr ctgrad::param<"k"> k;
    constexpr auto decay = ctgrad::square(a * ctgrad::exp(-(k * t)) - y) / 2_c;
    std::cout << "Newton on y = a * exp(-k * x): loss " << decay << "\nits Hessian, derived at compile time:\n"
              << "  d(d(loss, a), a) = " << ctgrad::d(ctgrad::d(decay, a), a) << '\n'
              << "  d(d(loss, a), k) = " << ctgrad::d(ctgrad::d(decay, a), k) << '\n'
              << "  d(d(loss, k), k) = " << ctgrad::d(ctgrad::d(decay, k), k) << '\n';
    constexpr std::size_t n = 40;
    auto ts = xt::xtensor<double, 1>::from_shape({n}), ys = ts;
    ctgrad::data::random_engine random(1);
    for (std::size_t i = 0; i < n; ++i) {
        ts(i) = 5.0 * double(i) / double(n - 1);
        ys(i) = 2.0 * std::exp(-0.7 * ts(i)) + 0.01 * random.normal();
    }
    const auto batch = ctgrad::make_batch(t = ts, y = ys);
    const auto show = [&](const auto& it) {
        std::printf("  iteration %zu: a = %.6f, k = %.6f, loss %.6e", it.iteration, it.params[a], it.params[k], it.loss);
        if (it.iteration > 0 && it.step_scale < 1) std::printf(" (the Newton step times %g)", it.step_scale);
        std::printf("\n");
    };
    // Newton's method needs a positive definite Hessian: far from the fit this loss is not
    // convex, and newton says so rather than stepping uphill (Gauss-Newton or sgd go on).
    auto far = ctgrad::make_parameters(a = 1.0, k = 1.0);
    try {
        (void)ctgrad::newton().minimize(decay, far, batch);
    } catch (const ctgrad::newton_error& e) {
        std::cout << "from a = 1, k = 1: " << e.what() << '\n';
    }
    std::cout << "from a = 1, k = 0.5:\n";
    auto params = ctgrad::make_parameters(a = 1.0, k = 0.5);
    try {
        const auto result = ctgrad::newton({.max_iterations = 10}).minimize(decay, params, batch, show);
        std::printf("%s after %zu iterations: a = %.4f, k = %.4f (true 2, 0.7)\n",
                    result.converged ? "converged" : "not converged", result.iterations, params[a], params[k]);
        return result.converged ? 0 : 1;
    } catch (const std::exception& e) {
        std::cerr << "second_derivatives: " << e.what() << '\n';
        return 1;
    }
}
