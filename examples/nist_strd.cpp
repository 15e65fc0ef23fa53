// Fits NIST's StRD nonlinear regression problems (data/nist, or the .dat files or directories
// given) with ctgrad::levenberg_marquardt's default options, from both of NIST's starting
// points, and scores each case as NIST does: LRE, the digits of the certified values reached
// (the smallest over the parameters, in [0, 11]; > 4 counts as solved), the same for the
// certified standard deviations, the iterations, and the solve time (best of 5).
//
//   nist_strd [DIR | FILE.dat]...     (default: data/nist)
#include "nist_models.hpp"

#include <ctgrad/optim/levenberg_marquardt.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>
#include <stdexcept>
#include <filesystem>
#include <string>
#include <vector>

namespace {

struct totals {
    int cases = 0, solved = 0;
    double lre_sum = 0, seconds = 0;
};

template <class Residual, class Batch, class... P>
void fit_both_starts(const ctgrad::nist_problem& p, const Residual& residual, const Batch& batch, totals& sum, P... symbols) {
    for (int start = 1; start <= 2; ++start) {
        auto params = examples::nist::parameters_at(p, start, symbols...);
        ctgrad::least_squares_result<sizeof...(P)> result;
        double best = 1e300;
        for (int run = 0; run < 5; ++run) {
            params = examples::nist::parameters_at(p, start, symbols...);
            const auto t0 = std::chrono::steady_clock::now();
            result = ctgrad::levenberg_marquardt().minimize(residual, params, batch);
            best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        }
        const std::vector<double> fitted{double(params[symbols])...};
        const std::vector<double> errors(result.standard_errors.begin(), result.standard_errors.end());
        const double score = ctgrad::lre(fitted, p.certified_values);
        const double score_se = ctgrad::lre(errors, p.certified_std_devs);
        std::printf("%-9s start %d  LRE %5.2f  std-dev LRE %5.2f  %4zu iterations  %9.1f us  %s\n", p.name.c_str(), start,
                    score, score_se, result.iterations, best * 1e6, std::string(ctgrad::to_string(result.termination)).c_str());
        ++sum.cases;
        sum.solved += score > 4;
        sum.lre_sum += score;
        sum.seconds += best;
    }
}

} // namespace

int main(int argc, char** argv) {
    std::vector<std::string> places(argv + 1, argv + argc);
    if (places.empty()) places.emplace_back("data/nist");
    std::vector<std::filesystem::path> files;
    try {
        files = examples::nist::dat_files(places);
    } catch (const std::invalid_argument& e) {
        std::fprintf(stderr, "nist_strd: %s\n", e.what());
        return 2;
    }
    totals sum;
    int failed = 0;
    for (const auto& file : files) {
        try {
            const auto problem = ctgrad::read_nist(file.string());
            const bool known = examples::nist::visit(problem, [&](const auto& residual, const auto& batch, auto... symbols) {
                fit_both_starts(problem, residual, batch, sum, symbols...);
            });
            if (!known) std::printf("%-9s skipped: no model for this problem in nist_models.hpp\n", problem.name.c_str());
        } catch (const std::exception& e) {
            std::fprintf(stderr, "nist_strd: %s\n", e.what());
            ++failed;
        }
    }
    if (sum.cases == 0) {
        std::fprintf(stderr, "nist_strd: no NIST problem fitted\n");
        return 1;
    }
    std::printf("solved %d of %d cases (LRE > 4), mean LRE %.2f, solve times summed %.2f ms\n", sum.solved, sum.cases,
                sum.lre_sum / sum.cases, sum.seconds * 1e3);
    return failed == 0 ? 0 : 1;
}
