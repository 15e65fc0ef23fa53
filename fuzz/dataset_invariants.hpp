// fuzz/dataset_invariants.hpp: what the fuzz targets require of every dataset a reader
// returns, and how they report a finding (abort, so libFuzzer saves the input).
#ifndef CTGRAD_FUZZ_DATASET_INVARIANTS_HPP
#define CTGRAD_FUZZ_DATASET_INVARIANTS_HPP

#include <cmath>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace fuzz {

[[noreturn]] inline void finding(const char* target, const char* what, const std::string& detail) {
    std::fprintf(stderr, "%s: %s: %s\n", target, what, detail.c_str());
    std::abort();
}

/// Whether an error message starts with `call: ` (it comes from that call's own checks).
inline bool comes_from(std::string_view what, std::string_view call) {
    return what.size() > call.size() + 1 && what.substr(0, call.size()) == call && what.substr(call.size(), 2) == ": ";
}

/// A dataset a reader returned: not empty, one name per feature, no row lost to the split,
/// every value finite, sane standardisation statistics, and a loader that yields every
/// training example once.
template <class Dataset>
void check_invariants(const char* target, Dataset& d) {
    if (d.size() == 0 || d.num_features() == 0) finding(target, "empty dataset", "");
    if (d.feature_names().size() != d.num_features()) finding(target, "names", "one per feature expected");
    if (d.num_train() + d.num_val() != d.size()) finding(target, "split", "rows lost");
    for (auto v : d.features())
        if (!std::isfinite(v)) finding(target, "features", "not finite");
    for (auto v : d.targets())
        if (!std::isfinite(v)) finding(target, "targets", "not finite");
    for (std::size_t j = 0; j < d.num_features(); ++j)
        if (!std::isfinite(d.feature_means()(j)) || !(d.feature_scales()(j) > 0))
            finding(target, "statistics", d.feature_names()[j]);
    auto& train = d.train_dataloader();
    train.start_epoch();
    std::size_t seen = 0;
    for (std::size_t i = 0; i < train.size(); ++i) seen += train.batch(i).size();
    if (seen != d.num_train()) finding(target, "loader", "examples lost");
}

} // namespace fuzz

#endif // CTGRAD_FUZZ_DATASET_INVARIANTS_HPP
