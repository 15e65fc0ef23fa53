// fuzz/fuzz_npy.cpp: libFuzzer target for the .npy reader (fuzz/run_fuzz.sh builds and runs it).
// Byte 0 chooses the options: bits 0-1 the target (last, 0, "column 1", 2), bit 2 num_train
// set (to bits 3-4), bit 5 standardize, bit 6 float. The rest is the file. npy_dataset may
// only throw ctgrad::data_error or ctgrad::invalid_argument from its own checks; a crash, a
// sanitizer report, any other exception or a dataset that breaks its invariants is a finding.
#include "dataset_invariants.hpp"

#include <ctgrad/data/npy.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace {

template <class T>
void check(std::string_view bytes, const ctgrad::data::npy_options& options) {
    try {
        auto d = ctgrad::data::npy_dataset_from_bytes<T>(bytes, options, "fuzz.npy");
        fuzz::check_invariants("fuzz_npy", d);
    } catch (const ctgrad::data_error& e) {
        if (!fuzz::comes_from(e.what(), "ctgrad::data::npy_dataset")) fuzz::finding("fuzz_npy", "data_error from elsewhere", e.what());
    } catch (const ctgrad::invalid_argument& e) {
        if (!fuzz::comes_from(e.what(), "ctgrad::data::npy_dataset"))
            fuzz::finding("fuzz_npy", "invalid_argument from elsewhere", e.what());
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
