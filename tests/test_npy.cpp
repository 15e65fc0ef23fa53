// .npy datasets: files written here byte by byte (no NumPy needed), read back; a rank's rows
// of a file read alone (data::row_range, data::share_of); and one test per error the table in
// docs/data.md lists for .npy files, with the exact message.
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
#include <vector>
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

// .npy bytes in a file of their own, removed at the end of the test.
struct temp_file {
    fs::path path;
    temp_file(const std::string& name, const std::string& bytes)
        : path(fs::temp_directory_path() / ("ctgrad_test_npy_" + std::to_string(::getpid()) + "_" + name + ".npy")) {
        std::ofstream(path, std::ios::binary) << bytes;
    }
    ~temp_file() { fs::remove(path); }
    temp_file(const temp_file&) = delete;
    temp_file& operator=(const temp_file&) = delete;
};

// rows x cols elements, element [i, j] = i + j / 8 (exact in float32 too), one NaN at
// [nan_row, cols - 1] when nan_row < rows.
std::string numbered(const std::string& descr, std::size_t rows, std::size_t cols, int major = 1,
                     std::size_t nan_row = std::numeric_limits<std::size_t>::max()) {
    std::string payload;
    for (std::size_t i = 0; i < rows; ++i)
        for (std::size_t j = 0; j < cols; ++j) {
            const double v = i == nan_row && j == cols - 1 ? std::nan("") : double(i) + double(j) / 8;
            payload += descr == "<f8" ? f8({v}) : f4({float(v)});
        }
    return npy(descr, "(" + std::to_string(rows) + ", " + std::to_string(cols) + ")", payload, major);
}

// Rows [first, first + part.size()) of `whole`, element by element, features and target.
template <class T>
void check_rows_of(const data::tabular_dataset<T>& part, const data::tabular_dataset<T>& whole, std::size_t first) {
    BOOST_TEST_REQUIRE(part.num_features() == whole.num_features());
    for (std::size_t k = 0; k < part.size(); ++k) {
        for (std::size_t j = 0; j < part.num_features(); ++j) BOOST_TEST(part.features()(j, k) == whole.features()(j, first + k));
        BOOST_TEST(part.targets()(k) == whole.targets()(first + k));
    }
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

// A rank reads only its rows: the header, then the bytes of rows [first, first + count).
BOOST_AUTO_TEST_SUITE(row_ranges)

BOOST_AUTO_TEST_CASE(every_range_equals_those_rows_of_the_whole_file) {
    for (const char* descr : {"<f8", "<f4"})
        for (int major : {1, 2}) {
            BOOST_TEST_CONTEXT(descr << ", format " << major) {
                const temp_file file(std::string(descr + 1) + "_v" + std::to_string(major), numbered(descr, 7, 3, major));
                const auto whole = data::npy_dataset(file.path.string());
                const auto whole_float = data::npy_dataset<float>(file.path.string());
                BOOST_TEST(whole.targets()(6) == 6.25);
                for (std::size_t first = 0; first < 7; ++first)
                    for (std::size_t count = 1; first + count <= 7; ++count) {
                        const auto part = data::npy_dataset(file.path.string(), {.rows = {{first, count}}});
                        BOOST_TEST(part.size() == count);
                        check_rows_of(part, whole, first);
                        check_rows_of(data::npy_dataset<float>(file.path.string(), {.rows = data::row_range{first, count}}),
                                      whole_float, first);
                        check_rows_of(data::npy_dataset_from_bytes(numbered(descr, 7, 3, major), {.rows = {{first, count}}}),
                                      whole, first);
                    }
            }
        }
}

BOOST_AUTO_TEST_CASE(ranges_across_read_chunks_and_the_file_s_row_in_messages) {
    // 16-byte rows: a 1 MiB read chunk holds 65536 of them, so these ranges take two chunks.
    const std::size_t rows = 150000, nan_row = 100001;
    const temp_file file("chunks", numbered("<f8", rows, 2, 1, nan_row));
    const auto part = data::npy_dataset(file.path.string(), {.rows = {{10000, 90000}}});
    BOOST_TEST(part.size() == 90000u);
    for (std::size_t k : {0, 65535, 65536, 89999}) {
        BOOST_TEST(part.features()(0, k) == double(10000 + k));
        BOOST_TEST(part.targets()(k) == double(10000 + k) + 0.125);
    }
    try { // in the second chunk of the range
        (void)data::npy_dataset(file.path.string(), {.rows = {{30000, 80000}}});
        BOOST_ERROR("no exception");
    } catch (const ctgrad::data_error& e) {
        BOOST_TEST(std::string(e.what()) == "ctgrad::data::npy_dataset: " + file.path.string() + ": element [100001, 1] is NaN");
    }
}

BOOST_AUTO_TEST_CASE(a_nan_outside_the_range_is_not_read) {
    const temp_file file("nan", numbered("<f4", 4, 2, 1, 2));
    const auto part = data::npy_dataset(file.path.string(), {.rows = {{0, 2}}});
    BOOST_TEST(part.targets()(1) == 1.125);
    BOOST_TEST(data::npy_dataset(file.path.string(), {.rows = {{3, 1}}}).targets()(0) == 3.125);
    try {
        (void)data::npy_dataset(file.path.string(), {.rows = {{1, 2}}});
        BOOST_ERROR("no exception");
    } catch (const ctgrad::data_error& e) { // the file's row 2, not the range's row 1
        BOOST_TEST(std::string(e.what()) == "ctgrad::data::npy_dataset: " + file.path.string() + ": element [2, 1] is NaN");
    }
}

BOOST_AUTO_TEST_CASE(options_count_the_rows_read) {
    const auto part = data::npy_dataset_from_bytes(numbered("<f8", 7, 3), {.num_train = 2, .standardize = true, .rows = {{3, 4}}});
    BOOST_TEST(part.num_train() == 2u);
    BOOST_TEST(part.feature_means()(0) == 3.5); // column 0 of the range's training rows: 3, 4
}

BOOST_AUTO_TEST_CASE(the_shape_from_the_header_alone) {
    const temp_file file("shape", numbered("<f4", 7, 3, 2));
    const auto [rows, columns] = data::npy_shape_of(file.path.string());
    BOOST_TEST(rows == 7u);
    BOOST_TEST(columns == 3u);
    // Every rank's share, read alone, and the shares together are the file.
    const auto whole = data::npy_dataset(file.path.string());
    for (std::size_t ranks = 1; ranks <= 7; ++ranks) {
        std::size_t next = 0;
        for (std::size_t rank = 0; rank < ranks; ++rank) {
            const auto share = data::share_of(rows, rank, ranks);
            check_rows_of(data::npy_dataset(file.path.string(), {.rows = share}), whole, share.first);
            next += share.count;
        }
        BOOST_TEST(next == rows);
    }
}

BOOST_AUTO_TEST_CASE(share_of_splits_the_rows_contiguously_and_balanced_in_rank_order) {
    for (std::size_t ranks = 1; ranks <= 5; ++ranks)
        for (std::size_t count = 0; count <= 20; ++count) {
            BOOST_TEST_CONTEXT(count << " rows, " << ranks << " ranks") {
                std::size_t next = 0, smallest = count, largest = 0;
                for (std::size_t rank = 0; rank < ranks; ++rank) {
                    const auto share = data::share_of(count, rank, ranks);
                    BOOST_TEST(share.first == next); // contiguous, in rank order
                    next += share.count;
                    smallest = std::min(smallest, share.count);
                    largest = std::max(largest, share.count);
                }
                BOOST_TEST(next == count); // [0, count) exactly
                BOOST_TEST(largest - smallest <= 1u);
            }
        }
    // count * rank would overflow: 2^64 - 1 = 3q.
    constexpr std::size_t most = std::numeric_limits<std::size_t>::max(), q = most / 3;
    BOOST_TEST((data::share_of(most, 2, 3) == data::row_range{2 * q, q}));
    BOOST_TEST((data::share_of(most, 0, 3) == data::row_range{0, q}));
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
    check_error(npy("<f8", "(1000000000000000000, 0)", ""),
                "the file has 0 columns, but a dataset needs at least one feature column and the target");
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

BOOST_AUTO_TEST_CASE(a_range_past_the_end_or_empty) {
    const std::string bytes = numbered("<f8", 7, 3);
    const std::string fix = "ask for first + count <= 7 (share_of(7, rank, ranks) splits them)";
    check_invalid([&] { (void)data::npy_dataset_from_bytes(bytes, {.rows = {{5, 3}}}, "a.npy"); },
                  "ctgrad::data::npy_dataset: a.npy: rows {first 5, count 3} run past the end: the file has 7 rows; " + fix);
    check_invalid([&] { (void)data::npy_dataset_from_bytes(bytes, {.rows = {{8, 0}}}, "a.npy"); },
                  "ctgrad::data::npy_dataset: a.npy: rows {first 8, count 0} run past the end: the file has 7 rows; " + fix);
    check_invalid([&] { (void)data::npy_dataset_from_bytes(bytes, {.rows = {{1, std::numeric_limits<std::size_t>::max()}}}, "a.npy"); },
                  "ctgrad::data::npy_dataset: a.npy: rows {first 1, count 18446744073709551615} run past the end: the file has "
                  "7 rows; " + fix);
    check_invalid([&] { (void)data::npy_dataset_from_bytes(bytes, {.rows = {{7, 0}}}, "a.npy"); },
                  "ctgrad::data::npy_dataset: a.npy: rows {first 7, count 0} hold no row; a dataset needs at least one (a rank "
                  "with an empty share_of has nothing to read)");
    const temp_file file("past_the_end", bytes);
    check_invalid([&] { (void)data::npy_dataset(file.path.string(), {.rows = {{0, 8}}}); },
                  "ctgrad::data::npy_dataset: " + file.path.string() + ": rows {first 0, count 8} run past the end: the file has 7 rows; " + fix);
    check_invalid([&] { (void)data::npy_dataset_from_bytes(bytes, {.num_train = 3, .rows = {{5, 2}}}, "a.npy"); },
                  "ctgrad::data::npy_dataset: a.npy: num_train is 3 but rows {first 5, count 2} hold only 2");
}

BOOST_AUTO_TEST_CASE(npy_shape_of_names_itself) {
    try {
        (void)data::npy_shape_of("/no/such/file.npy");
        BOOST_ERROR("no exception");
    } catch (const ctgrad::data_error& e) {
        BOOST_TEST(std::string(e.what()) == "ctgrad::data::npy_shape_of: /no/such/file.npy: no such file");
    }
    const temp_file file("shape_truncated", three_by_three.substr(0, three_by_three.size() - 1));
    try {
        (void)data::npy_shape_of(file.path.string());
        BOOST_ERROR("no exception");
    } catch (const ctgrad::data_error& e) {
        BOOST_TEST(std::string(e.what()) == "ctgrad::data::npy_shape_of: " + file.path.string() +
                                                ": is truncated: shape (3, 3) of float64 needs 72 bytes of data but 71 follow the header");
    }
}

BOOST_AUTO_TEST_CASE(share_of_needs_a_rank_among_at_least_one) {
    check_invalid([] { (void)data::share_of(10, 0, 0); }, "ctgrad::data::share_of: ranks is 0; there must be at least one rank");
    check_invalid([] { (void)data::share_of(10, 4, 4); },
                  "ctgrad::data::share_of: rank 4 is out of range: there are 4 ranks (0 to 3)");
}

BOOST_AUTO_TEST_SUITE_END()
