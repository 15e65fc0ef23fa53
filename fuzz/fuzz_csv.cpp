// fuzz/fuzz_csv.cpp: libFuzzer target for the CSV reader (fuzz/run_fuzz.sh builds and runs it).
// The first byte chooses the options (header, delimiter, target, split, standardisation,
// float or double), the rest is the file. csv_dataset may only throw ctgrad::data_error or
// ctgrad::invalid_argument from its own checks; a crash, a sanitizer report, any other
// exception, an error from the inner dataset's checks (which the CSV layer must have caught
// first) or a dataset that breaks its invariants is a finding.
#include "dataset_invariants.hpp"

#include <ctgrad/data/csv.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace {

template <class T>
void check(std::string_view text, const ctgrad::data::csv_options& options) {
    try {
        auto d = ctgrad::data::csv_dataset_from_string<T>(text, options, "fuzz.csv");
        fuzz::check_invariants("fuzz_csv", d);
    } catch (const ctgrad::data_error& e) {
        if (!fuzz::comes_from(e.what(), "ctgrad::data::csv_dataset")) fuzz::finding("fuzz_csv", "data_error from elsewhere", e.what());
    } catch (const ctgrad::invalid_argument& e) {
        if (!fuzz::comes_from(e.what(), "ctgrad::data::csv_dataset") && !fuzz::comes_from(e.what(), "ctgrad::data::column"))
            fuzz::finding("fuzz_csv", "invalid_argument from elsewhere", e.what());
    }
}

} // namespace

// Byte 0: bit 0 no header, bits 1-2 the delimiter (, ; tab space), bits 3-4 the target (last,
// 0, "y", 2), bit 5 num_train set, bit 6 standardize, bit 7 float. Byte 1: bits 0-1 num_train,
// bits 2-3 batch_size - 1. The rest is the file.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const unsigned first = size > 0 ? data[0] : 0, second = size > 1 ? data[1] : 0;
    const std::size_t skip = size < 2 ? size : 2;
    const std::string_view text(reinterpret_cast<const char*>(data) + skip, size - skip);
    ctgrad::data::csv_options options;
    options.header = (first & 1) == 0;
    options.delimiter = ",;\t "[(first >> 1) & 3];
    switch ((first >> 3) & 3) {
    case 0: break; // the last column
    case 1: options.target = 0; break;
    case 2: options.target = "y"; break;
    default: options.target = 2; break;
    }
    if (first & 32) options.num_train = second & 3;
    options.standardize = (first & 64) != 0;
    options.batch_size = 1 + ((second >> 2) & 3);
    if (first & 128) check<float>(text, options);
    else check<double>(text, options);
    return 0;
}
