// CSV datasets: what the parser accepts (quotes, CRLF, spaces, a byte order mark, no final
// newline), the split and standardisation, training on the result, and one test per error
// the table in docs/data.md lists, with the exact message.
#define BOOST_TEST_MODULE ctgrad_csv
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <ctgrad/ctgrad.hpp>
#include <ctgrad/data/csv.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

namespace data = ctgrad::data;
namespace fs = std::filesystem;

namespace {

// A directory of its own per test process, removed at the end.
struct temp_dir {
    fs::path path = fs::temp_directory_path() / ("ctgrad_test_csv_" + std::to_string(::getpid()));
    temp_dir() { fs::create_directories(path); }
    ~temp_dir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
    std::string write(const std::string& name, const std::string& text) const {
        std::ofstream(path / name, std::ios::binary) << text;
        return (path / name).string();
    }
};

// Checks that `f` throws E with exactly `message`.
template <class E, class F>
void check_throws(F&& f, const std::string& message) {
    try {
        f();
        BOOST_ERROR("no exception; expected: " + message);
    } catch (const E& e) {
        BOOST_TEST(std::string(e.what()) == message);
    }
}

template <class F>
void check_data_error(F&& f, const std::string& message, std::size_t line, std::size_t column) {
    try {
        f();
        BOOST_ERROR("no exception; expected: " + message);
    } catch (const ctgrad::data_error& e) {
        BOOST_TEST(std::string(e.what()) == message);
        BOOST_TEST(e.line() == line);
        BOOST_TEST(e.column() == column);
    }
}

const std::string simple = "x1,x2,y\n1,2,3\n4,5,6\n7,8,10\n";

} // namespace

BOOST_AUTO_TEST_SUITE(parsing)

BOOST_AUTO_TEST_CASE(reads_names_values_and_the_last_column_as_target) {
    auto d = data::csv_dataset_from_string(simple);
    BOOST_TEST(d.size() == 3u);
    BOOST_TEST(d.num_features() == 2u);
    BOOST_TEST(d.feature_names() == (std::vector<std::string>{"x1", "x2"}), boost::test_tools::per_element());
    BOOST_TEST(d.target_name() == "y");
    BOOST_TEST(d.features()(0, 2) == 7.0);
    BOOST_TEST(d.features()(1, 0) == 2.0);
    BOOST_TEST(d.targets()(2) == 10.0);
    BOOST_TEST(d.num_train() == 3u); // num_train unset: every row trains
    BOOST_TEST(d.num_val() == 0u);
    BOOST_TEST(!d.standardized());
}

BOOST_AUTO_TEST_CASE(target_by_name_or_index) {
    auto by_name = data::csv_dataset_from_string(simple, {.target = "x1"});
    BOOST_TEST(by_name.target_name() == "x1");
    BOOST_TEST(by_name.feature_names() == (std::vector<std::string>{"x2", "y"}), boost::test_tools::per_element());
    BOOST_TEST(by_name.targets()(1) == 4.0);
    BOOST_TEST(by_name.features()(1, 2) == 10.0);
    auto by_index = data::csv_dataset_from_string(simple, {.target = 1});
    BOOST_TEST(by_index.target_name() == "x2");
    BOOST_TEST(by_index.targets()(2) == 8.0);
}

BOOST_AUTO_TEST_CASE(crlf_lf_and_no_final_newline_read_the_same) {
    for (const std::string text : {"x1,x2,y\r\n1,2,3\r\n4,5,6\r\n7,8,10\r\n", "x1,x2,y\n1,2,3\n4,5,6\n7,8,10",
                                   "x1,x2,y\r\n1,2,3\r\n4,5,6\r\n7,8,10", "\xEF\xBB\xBFx1,x2,y\n1,2,3\n\n4,5,6\n7,8,10\n\n"}) {
        auto d = data::csv_dataset_from_string(text);
        BOOST_TEST(d.feature_names()[0] == "x1");
        BOOST_TEST(d.size() == 3u);
        BOOST_TEST(d.targets()(2) == 10.0);
        BOOST_TEST(d.features()(1, 1) == 5.0);
    }
}

BOOST_AUTO_TEST_CASE(quoted_cells_spaces_and_number_forms) {
    const std::string text = "\"GNP, \"\"real\"\"\", \"two\nlines\" ,y\n"
                             "  1.5 ,\t\"2\", +3\n"
                             "-4e2, \" 5 \" ,1e-400\n";
    auto d = data::csv_dataset_from_string(text);
    BOOST_TEST(d.feature_names()[0] == "GNP, \"real\"");
    BOOST_TEST(d.feature_names()[1] == "two\nlines");
    BOOST_TEST(d.features()(0, 0) == 1.5);
    BOOST_TEST(d.features()(1, 0) == 2.0);
    BOOST_TEST(d.targets()(0) == 3.0);
    BOOST_TEST(d.features()(0, 1) == -400.0);
    BOOST_TEST(d.features()(1, 1) == 5.0);
    BOOST_TEST(d.targets()(1) == 0.0); // too small for double: rounds to 0, not an error
}

BOOST_AUTO_TEST_CASE(other_delimiters_and_no_header) {
    auto semicolons = data::csv_dataset_from_string("a;b\n1.5;2\n", {.delimiter = ';'});
    BOOST_TEST(semicolons.features()(0, 0) == 1.5);
    check_data_error([] { (void)data::csv_dataset_from_string("a;b\n1,5;2\n", {.delimiter = ';'}); },
                     "ctgrad::data::csv_dataset: <string>:2:1: column 'a': \"1,5\" is not a number", 2, 1);
    auto tabs = data::csv_dataset_from_string("1\t 2\n3\t4\n", {.header = false, .delimiter = '\t'});
    BOOST_TEST(tabs.feature_names()[0] == "column 0");
    BOOST_TEST(tabs.target_name() == "column 1");
    BOOST_TEST(tabs.targets()(0) == 2.0);
    BOOST_TEST(tabs.size() == 2u);
}

BOOST_AUTO_TEST_CASE(float_datasets) {
    auto d = data::csv_dataset_from_string<float>(simple);
    static_assert(std::is_same_v<decltype(d)::value_type, float>);
    BOOST_TEST(d.features()(0, 1) == 4.0f);
}

BOOST_AUTO_TEST_CASE(reads_a_file_as_it_reads_text) {
    temp_dir dir;
    auto d = data::csv_dataset(dir.write("simple.csv", simple), {.target = "x2"});
    BOOST_TEST(d.target_name() == "x2");
    BOOST_TEST(d.targets()(2) == 8.0);
}

BOOST_AUTO_TEST_CASE(lines_are_counted_across_quoted_newlines_and_blank_lines) {
    check_data_error([] { (void)data::csv_dataset_from_string("\"a\nb\",y\n\n1,2\n3,oops\n"); },
                     "ctgrad::data::csv_dataset: <string>:5:3: column 'y': \"oops\" is not a number", 5, 3);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(split_and_standardisation)

BOOST_AUTO_TEST_CASE(num_train_splits_in_file_order) {
    auto d = data::csv_dataset_from_string(simple, {.num_train = 2, .batch_size = 1});
    BOOST_TEST(d.num_train() == 2u);
    BOOST_TEST(d.num_val() == 1u);
    BOOST_TEST(d.train_dataloader().size() == 2u);
    auto& val = d.val_dataloader();
    val.start_epoch();
    BOOST_TEST(val.batch(0).targets.m_data[0] == 10.0); // the last row validates
}

// Found by fuzz_csv (fuzz/corpus/csv/subnormal_spread): the values 4.9e-324 and 0 differ,
// but their standard deviation, 2^-1075, is below the smallest double, so the scale was 0 and
// to_original_units divided by it. Such a column is now treated as constant.
BOOST_AUTO_TEST_CASE(a_spread_below_the_smallest_double_is_treated_as_constant) {
    auto d = data::csv_dataset_from_string("x,y\n4.9e-324,3\n0e404,4\n", {.standardize = true});
    BOOST_TEST(d.feature_scales()(0) == 1.0);
    BOOST_TEST(d.feature_means()(0) == 0.0);      // the smallest training value
    BOOST_TEST(d.features()(0, 0) == 4.9e-324);   // centred, not scaled
    BOOST_TEST(d.features()(0, 1) == 0.0);
    const auto [w_raw, b_raw] = d.to_original_units(xt::xtensor<double, 1>{2.0}, 1.0);
    BOOST_TEST(w_raw(0) == 2.0);
    BOOST_TEST(b_raw == 1.0);
    // The smallest spread that has a scale, 2 * 2^-1074 between two values, keeps it.
    auto e = data::csv_dataset_from_string("x,y\n1e-323,3\n0,4\n", {.standardize = true});
    BOOST_TEST(e.feature_scales()(0) > 0.0);
    BOOST_TEST(e.features()(0, 0) == 1.0);
    BOOST_TEST(e.features()(0, 1) == -1.0);
}

BOOST_AUTO_TEST_CASE(standardises_with_the_training_rows_statistics_and_maps_weights_back) {
    // x1 of the training rows (1, 4): mean 2.5, population sd 1.5; x2 is constant there.
    const std::string text = "x1,x2,y\n1,5,3\n4,5,6\n7,9,10\n";
    auto d = data::csv_dataset_from_string(text, {.num_train = 2, .standardize = true});
    BOOST_TEST(d.standardized());
    BOOST_TEST(d.feature_means()(0) == 2.5);
    BOOST_TEST(d.feature_scales()(0) == 1.5);
    BOOST_TEST(d.features()(0, 0) == -1.0);
    BOOST_TEST(d.features()(0, 1) == 1.0);
    BOOST_TEST(d.features()(0, 2) == 3.0);  // a validation row: same statistics
    BOOST_TEST(d.feature_means()(1) == 5.0); // constant: centred, scale 1
    BOOST_TEST(d.feature_scales()(1) == 1.0);
    BOOST_TEST(d.features()(1, 1) == 0.0);
    BOOST_TEST(d.features()(1, 2) == 4.0);
    BOOST_TEST(d.targets()(2) == 10.0);      // the target is left alone

    // A model on standardised features and the mapped one on raw features predict the same.
    const xt::xtensor<double, 1> w{0.7, -1.3};
    const double b = 0.25;
    const auto [w_raw, b_raw] = d.to_original_units(w, b);
    const double raw[3][2] = {{1, 5}, {4, 5}, {7, 9}};
    for (std::size_t i = 0; i < 3; ++i) {
        const double standardised = w(0) * d.features()(0, i) + w(1) * d.features()(1, i) + b;
        const double original = w_raw(0) * raw[i][0] + w_raw(1) * raw[i][1] + b_raw;
        BOOST_TEST(original == standardised, boost::test_tools::tolerance(1e-12));
    }
}

BOOST_AUTO_TEST_CASE(standardisation_survives_values_near_the_largest_double) {
    auto d = data::csv_dataset_from_string("x,y\n1e308,1\n-1e308,2\n1.7e308,3\n", {.standardize = true});
    for (std::size_t i = 0; i < 3; ++i) BOOST_TEST(std::isfinite(d.features()(0, i)));
    BOOST_TEST(std::isfinite(d.feature_scales()(0)));
}

BOOST_AUTO_TEST_CASE(a_csv_dataset_trains) {
    // y = 2 x1 - 3 x2 + 1 exactly: the concise model finds it.
    std::string text = "x1,x2,y\n";
    for (int i = 0; i < 40; ++i) {
        const double x1 = (i % 7) - 3.0, x2 = (i % 5) * 0.5 - 1.0;
        text += std::to_string(x1) + "," + std::to_string(x2) + "," + std::to_string(2 * x1 - 3 * x2 + 1) + "\n";
    }
    auto d = data::csv_dataset_from_string(text, {.num_train = 30, .batch_size = 10, .seed = 1});
    auto model = ctgrad::nn::linear_regression(0.05);
    (void)ctgrad::trainer({.max_epochs = 200}).fit(model, d);
    const auto [w, b] = model.get_w_b();
    BOOST_TEST(w(0) == 2.0, boost::test_tools::tolerance(1e-4));
    BOOST_TEST(w(1) == -3.0, boost::test_tools::tolerance(1e-4));
    BOOST_TEST(b == 1.0, boost::test_tools::tolerance(1e-4));
}

BOOST_AUTO_TEST_SUITE_END()

// One test per row of the error table in docs/data.md.
BOOST_AUTO_TEST_SUITE(errors)

BOOST_AUTO_TEST_CASE(missing_file) {
    check_data_error([] { (void)data::csv_dataset("no/such/file.csv"); },
                     "ctgrad::data::csv_dataset: no/such/file.csv: no such file (relative to the working directory " +
                         fs::current_path().string() + ")",
                     0, 0);
    check_data_error([] { (void)data::csv_dataset("/no/such/file.csv"); },
                     "ctgrad::data::csv_dataset: /no/such/file.csv: no such file", 0, 0);
}

BOOST_AUTO_TEST_CASE(a_directory) {
    temp_dir dir;
    check_data_error([&] { (void)data::csv_dataset(dir.path.string()); },
                     "ctgrad::data::csv_dataset: " + dir.path.string() + ": is a directory, not a file", 0, 0);
}

BOOST_AUTO_TEST_CASE(empty_file) {
    temp_dir dir;
    const auto path = dir.write("empty.csv", "");
    check_data_error([&] { (void)data::csv_dataset(path); }, "ctgrad::data::csv_dataset: " + path + ": the file is empty", 0, 0);
    check_data_error([] { (void)data::csv_dataset_from_string("\n\r\n\n"); }, "ctgrad::data::csv_dataset: <string>: the file is empty", 0, 0);
}

BOOST_AUTO_TEST_CASE(header_without_data) {
    check_data_error([] { (void)data::csv_dataset_from_string("x,y\n"); },
                     "ctgrad::data::csv_dataset: <string>: the file has a header but no data rows", 0, 0);
}

BOOST_AUTO_TEST_CASE(non_numeric_cell) {
    temp_dir dir;
    const auto path = dir.write("words.csv", "x,y\n1,2\n3, four \n");
    check_data_error([&] { (void)data::csv_dataset(path); },
                     "ctgrad::data::csv_dataset: " + path + ":3:4: column 'y': \"four\" is not a number", 3, 4);
    check_data_error([] { (void)data::csv_dataset_from_string("x,y\n1,\n"); },
                     "ctgrad::data::csv_dataset: <string>:2:3: column 'y': \"\" is not a number", 2, 3);
    check_data_error([] { (void)data::csv_dataset_from_string("x,y\n1,0x1F\n"); },
                     "ctgrad::data::csv_dataset: <string>:2:3: column 'y': \"0x1F\" is not a number", 2, 3);
}

BOOST_AUTO_TEST_CASE(number_out_of_range) {
    check_data_error([] { (void)data::csv_dataset_from_string("x,y\n1,1e400\n"); },
                     "ctgrad::data::csv_dataset: <string>:2:3: column 'y': \"1e400\" is out of range for double", 2, 3);
    check_data_error([] { (void)data::csv_dataset_from_string<float>("x,y\n-1e39,1\n"); },
                     "ctgrad::data::csv_dataset: <string>:2:1: column 'x': \"-1e39\" is out of range for float", 2, 1);
}

BOOST_AUTO_TEST_CASE(ragged_row) {
    check_data_error([] { (void)data::csv_dataset_from_string("a,b,y\n1,2,3\n4,5\n"); },
                     "ctgrad::data::csv_dataset: <string>:3: expected 3 cells (as in the header), found 2", 3, 0);
    check_data_error([] { (void)data::csv_dataset_from_string("1,2\n3,4,5\n", {.header = false}); },
                     "ctgrad::data::csv_dataset: <string>:2: expected 2 cells (as in the first row), found 3", 2, 0);
}

BOOST_AUTO_TEST_CASE(nan_or_infinity) {
    check_data_error([] { (void)data::csv_dataset_from_string("x,y\n1,2\nNaN,3\n"); },
                     "ctgrad::data::csv_dataset: <string>:3:1: column 'x': \"NaN\" is not finite", 3, 1);
    check_data_error([] { (void)data::csv_dataset_from_string("x,y\n1,-inf\n"); },
                     "ctgrad::data::csv_dataset: <string>:2:3: column 'y': \"-inf\" is not finite", 2, 3);
}

BOOST_AUTO_TEST_CASE(unclosed_quote) {
    check_data_error([] { (void)data::csv_dataset_from_string("x,y\n1,\"2\n3,4\n"); },
                     "ctgrad::data::csv_dataset: <string>:2:3: a quoted cell is not closed (a \" is missing)", 2, 3);
}

BOOST_AUTO_TEST_CASE(text_after_a_closing_quote) {
    check_data_error([] { (void)data::csv_dataset_from_string("\"x\"z,y\n1,2\n"); },
                     "ctgrad::data::csv_dataset: <string>:1:4: unexpected 'z' after a quoted cell (expected the delimiter or the line end)",
                     1, 4);
}

BOOST_AUTO_TEST_CASE(one_column) {
    check_data_error([] { (void)data::csv_dataset_from_string("y\n1\n2\n"); },
                     "ctgrad::data::csv_dataset: <string>: the file has 1 column, but a dataset needs at least one feature column and the target",
                     0, 0);
}

BOOST_AUTO_TEST_CASE(unknown_target_column) {
    temp_dir dir;
    const auto path = dir.write("simple.csv", simple);
    check_throws<ctgrad::invalid_argument>([&] { (void)data::csv_dataset(path, {.target = "Y"}); },
                                           "ctgrad::data::csv_dataset: " + path +
                                               ": target column 'Y' is not in the file; its columns are 'x1', 'x2', 'y'");
}

BOOST_AUTO_TEST_CASE(target_index_out_of_range) {
    check_throws<ctgrad::invalid_argument>([] { (void)data::csv_dataset_from_string(simple, {.target = 3}); },
                                           "ctgrad::data::csv_dataset: <string>: target column 3 is out of range: the file has 3 columns (0 to 2)");
}

BOOST_AUTO_TEST_CASE(ambiguous_target_name) {
    check_throws<ctgrad::invalid_argument>([] { (void)data::csv_dataset_from_string("y,x,y\n1,2,3\n", {.target = "y"}); },
                                           "ctgrad::data::csv_dataset: <string>: target column 'y' names 2 columns (0 and 2); give its index instead");
}

BOOST_AUTO_TEST_CASE(negative_column_index) {
    check_throws<ctgrad::invalid_argument>([] { (void)data::csv_dataset_from_string(simple, {.target = -1}); },
                                           "ctgrad::data::column: a column index counts from 0, so it cannot be -1");
}

BOOST_AUTO_TEST_CASE(num_train_larger_than_the_data) {
    check_throws<ctgrad::invalid_argument>([] { (void)data::csv_dataset_from_string(simple, {.num_train = 4}); },
                                           "ctgrad::data::csv_dataset: <string>: num_train is 4 but the file has only 3 data rows");
}

BOOST_AUTO_TEST_CASE(batch_size_zero) {
    // Checked before the file is read: the file need not exist.
    check_throws<ctgrad::invalid_argument>([] { (void)data::csv_dataset("any.csv", {.batch_size = 0}); },
                                           "ctgrad::data::csv_dataset: any.csv: batch_size must be at least 1");
}

BOOST_AUTO_TEST_CASE(standardised_value_overflows) {
    // Constant on the one training row (scale 1), so the validation row becomes -2e308.
    check_throws<ctgrad::invalid_argument>(
        [] { (void)data::csv_dataset_from_string("x,y\n1e308,1\n-1e308,2\n", {.num_train = 1, .standardize = true}); },
        "ctgrad::data::csv_dataset: <string>: standardize: column 'x' on line 3: the standardised value overflows double");
}

BOOST_AUTO_TEST_CASE(bad_delimiter) {
    check_throws<ctgrad::invalid_argument>([] { (void)data::csv_dataset_from_string(simple, {.delimiter = '"'}); },
                                           "ctgrad::data::csv_dataset: <string>: delimiter must not be a quote, CR or LF");
}

BOOST_AUTO_TEST_CASE(weights_of_another_length) {
    auto d = data::csv_dataset_from_string(simple);
    check_throws<ctgrad::invalid_argument>([&] { (void)d.to_original_units(xt::xtensor<double, 1>{1, 2, 3}, 0); },
                                           "ctgrad::data::tabular_dataset::to_original_units: w has length 3 but the data has 2 features");
}

BOOST_AUTO_TEST_CASE(errors_derive_from_the_standard_exceptions) {
    BOOST_CHECK_THROW((void)data::csv_dataset_from_string("x,y\n1,a\n"), std::runtime_error);
    BOOST_CHECK_THROW((void)data::csv_dataset_from_string(simple, {.target = "nope"}), std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()
