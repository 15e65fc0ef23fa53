// .npy datasets: files written here byte by byte (no NumPy needed), read back; and one test
// per error the table in docs/data.md lists for .npy files, with the exact message.
#define BOOST_TEST_MODULE ctgrad_npy
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <ctgrad/data/npy.hpp>

#include <bit>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <string>
#include <unistd.h>

namespace data = ctgrad::data;
namespace fs = std::filesystem;

namespace {

template <class U>
std::string little_endian(U value, std::size_t size) {
    std::string out;
    for (std::size_t k = 0; k < size; ++k) out += char((std::uint64_t(value) >> (8 * k)) & 0xff);
    return out;
}

std::string f8(std::initializer_list<double> values) {
    std::string out;
    for (double v : values) out += little_endian(std::bit_cast<std::uint64_t>(v), 8);
    return out;
}

std::string f4(std::initializer_list<float> values) {
    std::string out;
    for (float v : values) out += little_endian(std::bit_cast<std::uint32_t>(v), 4);
    return out;
}

// What np.save writes: magic, version, header length, a dict literal padded with spaces and
// ending in '\n' so that the data starts at a multiple of 64.
std::string npy_with_header(std::string header, const std::string& payload, int major = 1) {
    const std::size_t preamble = major == 1 ? 10 : 12;
    header += std::string(63 - (preamble + header.size()) % 64, ' ') + '\n';
    return "\x93NUMPY" + std::string(1, char(major)) + std::string(1, '\0') +
           little_endian(header.size(), major == 1 ? 2 : 4) + header + payload;
}

std::string npy(const std::string& descr, const std::string& shape, const std::string& payload, int major = 1,
                bool fortran = false) {
    return npy_with_header("{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False") +
                               ", 'shape': " + shape + ", }",
                           payload, major);
}

// Rows (1, 2, 3), (4, 5, 6), (7, 8, 10).
const std::string three_by_three = npy("<f8", "(3, 3)", f8({1, 2, 3, 4, 5, 6, 7, 8, 10}));

void check_error(const std::string& bytes, const std::string& problem) {
    try {
        (void)data::npy_dataset_from_bytes(bytes, {}, "a.npy");
        BOOST_ERROR("no exception; expected: " + problem);
    } catch (const ctgrad::data_error& e) {
        BOOST_TEST(std::string(e.what()) == "ctgrad::data::npy_dataset: a.npy: " + problem);
        BOOST_TEST(e.file() == "a.npy");
        BOOST_TEST(e.line() == 0u);
    }
}

template <class F>
void check_invalid(F&& f, const std::string& message) {
    try {
        f();
        BOOST_ERROR("no exception; expected: " + message);
    } catch (const ctgrad::invalid_argument& e) {
        BOOST_TEST(std::string(e.what()) == message);
    }
}

} // namespace

BOOST_AUTO_TEST_SUITE(reading)

BOOST_AUTO_TEST_CASE(float64_rows_last_column_is_the_target) {
    auto d = data::npy_dataset_from_bytes(three_by_three);
    BOOST_TEST(d.size() == 3u);
    BOOST_TEST(d.num_features() == 2u);
    BOOST_TEST(d.feature_names()[1] == "column 1");
    BOOST_TEST(d.target_name() == "column 2");
    BOOST_TEST(d.features()(0, 1) == 4.0);
    BOOST_TEST(d.features()(1, 2) == 8.0);
    BOOST_TEST(d.targets()(2) == 10.0);
}

BOOST_AUTO_TEST_CASE(target_by_index_or_name_and_options) {
    auto d = data::npy_dataset_from_bytes(three_by_three, {.target = 0, .num_train = 2, .batch_size = 1, .standardize = true});
    BOOST_TEST(d.target_name() == "column 0");
    BOOST_TEST(d.targets()(1) == 4.0);
    BOOST_TEST(d.num_train() == 2u);
    BOOST_TEST(d.feature_means()(0) == 3.5); // column 1 of the training rows: 2, 5
    BOOST_TEST(d.features()(0, 0) == -1.0);
    auto by_name = data::npy_dataset_from_bytes(three_by_three, {.target = "column 1"});
    BOOST_TEST(by_name.targets()(2) == 8.0);
}

BOOST_AUTO_TEST_CASE(float32_files_and_float_datasets) {
    auto d = data::npy_dataset_from_bytes(npy("<f4", "(2, 2)", f4({0.5f, 1.5f, -2.25f, 3.0f})));
    BOOST_TEST(d.features()(0, 1) == -2.25);
    BOOST_TEST(d.targets()(0) == 1.5);
    auto single = data::npy_dataset_from_bytes<float>(three_by_three);
    BOOST_TEST(single.targets()(2) == 10.0f);
}

BOOST_AUTO_TEST_CASE(versions_2_and_3_and_other_header_spellings) {
    for (int major : {2, 3}) {
        auto d = data::npy_dataset_from_bytes(npy("<f8", "(3, 3)", f8({1, 2, 3, 4, 5, 6, 7, 8, 10}), major));
        BOOST_TEST(d.targets()(2) == 10.0);
    }
    // Keys in another order, double quotes, Python 2's 16L, no trailing comma.
    auto d = data::npy_dataset_from_bytes(
        npy_with_header("{\"shape\": (2L, 2L), \"fortran_order\": False, \"descr\": \"<f8\"}", f8({1, 2, 3, 4})));
    BOOST_TEST(d.targets()(1) == 4.0);
}

BOOST_AUTO_TEST_CASE(reads_a_file) {
    const auto path = fs::temp_directory_path() / ("ctgrad_test_npy_" + std::to_string(::getpid()) + ".npy");
    std::ofstream(path, std::ios::binary) << three_by_three;
    auto d = data::npy_dataset(path.string());
    fs::remove(path);
    BOOST_TEST(d.targets()(1) == 6.0);
}

BOOST_AUTO_TEST_SUITE_END()

// One test per row of the error table in docs/data.md.
BOOST_AUTO_TEST_SUITE(errors)

BOOST_AUTO_TEST_CASE(missing_file) {
    try {
        (void)data::npy_dataset("/no/such/file.npy");
        BOOST_ERROR("no exception");
    } catch (const ctgrad::data_error& e) {
        BOOST_TEST(std::string(e.what()) == "ctgrad::data::npy_dataset: /no/such/file.npy: no such file");
    }
}

BOOST_AUTO_TEST_CASE(not_a_npy_file) {
    check_error("x,y\n1,2\n", "is not a .npy file (it does not start with \\x93NUMPY)");
    check_error("", "is not a .npy file (it does not start with \\x93NUMPY)");
}

BOOST_AUTO_TEST_CASE(unsupported_version) {
    std::string bytes = three_by_three;
    bytes[6] = 4;
    check_error(bytes, "has .npy format version 4.0; ctgrad reads versions 1, 2 and 3");
}

BOOST_AUTO_TEST_CASE(truncated_header) {
    check_error(three_by_three.substr(0, 9), "is truncated: it ends inside the .npy preamble");
    check_error(three_by_three.substr(0, 40), "is truncated: its header is 118 bytes long but only 30 follow the preamble");
}

BOOST_AUTO_TEST_CASE(malformed_header) {
    check_error(npy_with_header("{'descr' '<f8', 'fortran_order': False, 'shape': (1, 2)}", f8({1, 2})),
                "the header (at byte 19) is malformed: expected ':'");
    check_error(npy_with_header("{'descr': '<f8', 'fortran_order': False}", f8({1, 2})), "the header (at byte 50) has no 'shape'");
    check_error(npy_with_header("{'descr': '<f8', 'fortran_order': 0, 'shape': (1, 2)}", f8({1, 2})),
                "the header (at byte 44) is malformed: 'fortran_order' is not True or False");
    check_error(npy_with_header("{'descr': '<f8', 'fortran_order': False, 'shape': (1, -2)}", f8({1, 2})),
                "the header (at byte 64) is malformed: 'shape' holds something other than whole numbers");
    check_error(npy_with_header("{'descr': '<f8', 'fortran_order': False, 'shape': (1, 2), 'extra': 1}", f8({1, 2})),
                "the header (at byte 76) has an unknown key 'extra'");
}

BOOST_AUTO_TEST_CASE(other_dtypes) {
    check_error(npy("<i8", "(1, 2)", f8({1, 2})), "holds dtype '<i8'; ctgrad reads '<f8' (float64) and '<f4' (float32)");
    check_error(npy(">f8", "(1, 2)", f8({1, 2})),
                "holds dtype '>f8' (big-endian); ctgrad reads '<f8' (float64) and '<f4' (float32)");
    check_error(npy_with_header("{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (1,)}", f8({1})),
                "the header (at byte 20) 'descr' is not a plain dtype string (a structured array?)");
}

BOOST_AUTO_TEST_CASE(fortran_order) {
    check_error(npy("<f8", "(2, 2)", f8({1, 2, 3, 4}), 1, true),
                "is in Fortran order; save a C-order array (np.ascontiguousarray) instead");
}

BOOST_AUTO_TEST_CASE(not_two_dimensional) {
    check_error(npy("<f8", "(4,)", f8({1, 2, 3, 4})), "has shape (4,); a dataset needs a 2-D array (rows, columns)");
    check_error(npy("<f8", "(1, 2, 2)", f8({1, 2, 3, 4})), "has shape (1, 2, 2); a dataset needs a 2-D array (rows, columns)");
}

BOOST_AUTO_TEST_CASE(no_rows) {
    check_error(npy("<f8", "(0, 3)", ""), "has shape (0, 3): no rows");
}

BOOST_AUTO_TEST_CASE(one_column) {
    check_error(npy("<f8", "(2, 1)", f8({1, 2})),
                "the file has 1 column, but a dataset needs at least one feature column and the target");
    check_error(npy("<f8", "(2, 0)", ""), "the file has 0 columns, but a dataset needs at least one feature column and the target");
}

BOOST_AUTO_TEST_CASE(truncated_data) {
    check_error(three_by_three.substr(0, three_by_three.size() - 1),
                "is truncated: shape (3, 3) of float64 needs 72 bytes of data but 71 follow the header");
    check_error(npy("<f4", "(1000000000000, 1000000000000)", f4({1})),
                "is truncated: shape (1000000000000, 1000000000000) of float32 needs more bytes of data but 4 follow the header");
}

BOOST_AUTO_TEST_CASE(bytes_after_the_data) {
    check_error(three_by_three + "xyz", "has 3 bytes after the data of shape (3, 3)");
}

BOOST_AUTO_TEST_CASE(nan_or_infinity) {
    check_error(npy("<f8", "(2, 2)", f8({1, 2, 3, std::nan("")})), "element [1, 1] is NaN");
    check_error(npy("<f4", "(2, 2)", f4({1, -std::numeric_limits<float>::infinity(), 3, 4})), "element [0, 1] is infinite");
}

BOOST_AUTO_TEST_CASE(out_of_range_for_float) {
    try {
        (void)data::npy_dataset_from_bytes<float>(npy("<f8", "(1, 2)", f8({1, -1e300})), {}, "a.npy");
        BOOST_ERROR("no exception");
    } catch (const ctgrad::data_error& e) {
        BOOST_TEST(std::string(e.what()) == "ctgrad::data::npy_dataset: a.npy: element [0, 1] = -1e+300 is out of range for float");
    }
}

BOOST_AUTO_TEST_CASE(options_that_do_not_fit) {
    check_invalid([] { (void)data::npy_dataset_from_bytes(three_by_three, {.num_train = 5}, "a.npy"); },
                  "ctgrad::data::npy_dataset: a.npy: num_train is 5 but the file has only 3 data rows");
    check_invalid([] { (void)data::npy_dataset("any.npy", {.batch_size = 0}); },
                  "ctgrad::data::npy_dataset: any.npy: batch_size must be at least 1");
    check_invalid([] { (void)data::npy_dataset_from_bytes(three_by_three, {.target = "y"}, "a.npy"); },
                  "ctgrad::data::npy_dataset: a.npy: target column 'y' is not in the file; its columns are 'column 0', "
                  "'column 1', 'column 2'");
}

BOOST_AUTO_TEST_SUITE_END()
