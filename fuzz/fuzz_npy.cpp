// fuzz/fuzz_npy.cpp: libFuzzer target for the .npy reader (fuzz/run_fuzz.sh builds and runs it).
// Byte 0 chooses the options: bits 0-1 the target (last, 0, "column 1", 2), bit 2 num_train
// set (to bits 3-4), bit 5 standardize, bit 6 float. The rest is the file. npy_dataset may
// only throw ctgrad::data_error or ctgrad::invalid_argument from its own checks; a crash, a
// sanitizer report, any other exception or a dataset that breaks its invariants is a finding.
#include <ctgrad/data/npy.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

[[noreturn]] void finding(const char* what, const std::string& detail) {
    std::fprintf(stderr, "fuzz_npy: %s: %s\n", what, detail.c_str());
    std::abort();
}

template <class T>
void check(std::string_view bytes, const ctgrad::data::npy_options& options) {
    try {
        auto d = ctgrad::data::npy_dataset_from_bytes<T>(bytes, options, "fuzz.npy");
        if (d.size() == 0 || d.num_features() == 0) finding("empty dataset", "");
        if (d.feature_names().size() != d.num_features()) finding("names", "one per feature expected");
        if (d.num_train() + d.num_val() != d.size()) finding("split", "rows lost");
        for (auto v : d.features())
            if (!std::isfinite(v)) finding("features", "not finite");
        for (auto v : d.targets())
            if (!std::isfinite(v)) finding("targets", "not finite");
    } catch (const ctgrad::data_error& e) {
        if (std::string_view(e.what()).substr(0, 27) != "ctgrad::data::npy_dataset: ") finding("data_error from elsewhere", e.what());
    } catch (const ctgrad::invalid_argument& e) {
        if (std::string_view(e.what()).substr(0, 27) != "ctgrad::data::npy_dataset: ")
            finding("invalid_argument from elsewhere", e.what());
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const unsigned first = size > 0 ? data[0] : 0;
    const std::string_view bytes(reinterpret_cast<const char*>(data) + (size > 0), size - (size > 0));
    ctgrad::data::npy_options options;
    switch (first & 3) {
    case 0: break;
    case 1: options.target = 0; break;
    case 2: options.target = "column 1"; break;
    default: options.target = 2; break;
    }
    if (first & 4) options.num_train = (first >> 3) & 3;
    options.standardize = (first & 32) != 0;
    if (first & 64) check<float>(bytes, options);
    else check<double>(bytes, options);
    return 0;
}
