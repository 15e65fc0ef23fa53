// The NIST StRD reader on all fifteen shipped files (counts, starts, certified values, exact
// spot checks), its errors on damaged copies of Misra1a, and the LRE score.
#define BOOST_TEST_MODULE ctgrad_nist
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <ctgrad/ctgrad.hpp>
#include <ctgrad/data/nist.hpp>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

// meson test sets CTGRAD_NIST_DIR to the source tree's data/nist, so the test runs from any build directory.
std::string nist_dir() {
    const char* dir = std::getenv("CTGRAD_NIST_DIR");
    if (dir == nullptr) BOOST_FAIL("CTGRAD_NIST_DIR is not set; run through `meson test` or set it to data/nist");
    return dir;
}

std::string path_of(const std::string& name) { return nist_dir() + "/" + name + ".dat"; }

std::vector<std::string> lines_of(const std::string& name) {
    std::ifstream in(path_of(name), std::ios::binary);
    std::vector<std::string> out;
    for (std::string line; std::getline(in, line);) out.push_back(line + "\n");
    return out;
}

std::string joined(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& l : lines) out += l;
    return out;
}

ctgrad::nist_problem from_text(const std::string& text, const std::string& source = "damaged.dat") {
    std::istringstream in(text);
    return ctgrad::read_nist(in, source);
}

// Checks that reading `text` throws data_error at `line` with a message holding `part`.
void check_error(const std::string& text, std::size_t line, const std::string& part) {
    try {
        from_text(text);
        BOOST_ERROR("no exception; expected one at line " + std::to_string(line) + " about: " + part);
    } catch (const ctgrad::data_error& e) {
        const std::string what = e.what();
        BOOST_TEST(e.line() == line, what);
        BOOST_TEST(e.file() == "damaged.dat");
        BOOST_TEST(what.find(part) != std::string::npos, what);
        if (line > 0) BOOST_TEST(what.find("damaged.dat:" + std::to_string(line)) != std::string::npos, what);
    }
}

struct expected_shape {
    const char* name;
    std::size_t observations;
    std::size_t parameters;
    std::size_t predictors;
    const char* difficulty;
};

const expected_shape all_problems[] = {
    {"Misra1a", 14, 2, 1, "Lower"},   {"Chwirut2", 54, 3, 1, "Lower"},   {"Lanczos3", 24, 6, 1, "Lower"},
    {"Gauss1", 250, 8, 1, "Lower"},   {"DanWood", 6, 2, 1, "Lower"},     {"Kirby2", 151, 5, 1, "Average"},
    {"Hahn1", 236, 7, 1, "Average"},  {"Nelson", 128, 3, 2, "Average"},  {"MGH17", 33, 5, 1, "Average"},
    {"Lanczos1", 24, 6, 1, "Average"}, {"MGH09", 11, 4, 1, "Higher"},    {"Thurber", 37, 7, 1, "Higher"},
    {"BoxBOD", 6, 2, 1, "Higher"},    {"Rat42", 9, 3, 1, "Higher"},      {"Eckerle4", 35, 3, 1, "Higher"},
};

} // namespace

BOOST_AUTO_TEST_SUITE(shipped_files)

BOOST_AUTO_TEST_CASE(all_fifteen_read_with_their_counts) {
    for (const auto& e : all_problems) {
        BOOST_TEST_CONTEXT(e.name) {
            const auto p = ctgrad::read_nist(path_of(e.name));
            BOOST_TEST(p.name == e.name);
            BOOST_TEST(p.difficulty == e.difficulty);
            BOOST_TEST(p.y.size() == e.observations);
            BOOST_TEST(p.x.size() == e.observations);
            BOOST_TEST(p.predictors.shape(0) == e.observations);
            BOOST_TEST(p.predictors.shape(1) == e.predictors);
            BOOST_TEST(p.predictor_names.size() == e.predictors);
            BOOST_TEST(p.parameter_names.size() == e.parameters);
            BOOST_TEST(p.start1.size() == e.parameters);
            BOOST_TEST(p.start2.size() == e.parameters);
            BOOST_TEST(p.certified_values.size() == e.parameters);
            BOOST_TEST(p.certified_std_devs.size() == e.parameters);
            BOOST_TEST(p.degrees_of_freedom == e.observations - e.parameters);
            for (std::size_t j = 0; j < e.parameters; ++j) BOOST_TEST(p.parameter_names[j] == "b" + std::to_string(j + 1));
            BOOST_TEST(p.certified_rss > 0);
            // The certified residual standard deviation is sqrt(RSS / dof) to the file's 11 digits.
            BOOST_TEST(std::sqrt(p.certified_rss / static_cast<double>(p.degrees_of_freedom)) ==
                       p.residual_std_dev, boost::test_tools::tolerance(1e-9));
            BOOST_TEST(!p.model.empty());
            for (std::size_t i = 0; i < p.x.size(); ++i) BOOST_TEST(p.x(i) == p.predictors(i, 0));
        }
    }
}

BOOST_AUTO_TEST_CASE(misra1a_exactly_as_in_the_file) {
    const auto p = ctgrad::read_nist(path_of("Misra1a"));
    BOOST_TEST(p.start1[0] == 500.0);
    BOOST_TEST(p.start2[0] == 250.0);
    BOOST_TEST(p.certified_values[0] == 2.3894212918E+02);
    BOOST_TEST(p.certified_std_devs[0] == 2.7070075241E+00);
    BOOST_TEST(p.start1[1] == 0.0001);
    BOOST_TEST(p.start2[1] == 0.0005);
    BOOST_TEST(p.certified_values[1] == 5.5015643181E-04);
    BOOST_TEST(p.certified_std_devs[1] == 7.2668688436E-06);
    BOOST_TEST(p.certified_rss == 1.2455138894E-01);
    BOOST_TEST(p.residual_std_dev == 1.0187876330E-01);
    BOOST_TEST(p.degrees_of_freedom == 12u);
    BOOST_TEST(p.y.size() == 14u);
    BOOST_TEST(p.y(0) == 10.07);
    BOOST_TEST(p.x(0) == 77.6);
    BOOST_TEST(p.y(13) == 81.78);
    BOOST_TEST(p.x(13) == 760.0);
    BOOST_TEST(p.model == "y = b1*(1-exp[-b2*x])  +  e");
    BOOST_TEST(p.predictor_names == (std::vector<std::string>{"x"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(spot_checks_of_other_files) {
    const auto hahn = ctgrad::read_nist(path_of("Hahn1"));
    BOOST_TEST(hahn.start1[3] == -0.00001);
    BOOST_TEST(hahn.certified_values[6] == -1.2314450199E-07);
    BOOST_TEST(hahn.y(0) == .591);
    BOOST_TEST(hahn.x(0) == 24.41);
    BOOST_TEST(hahn.model == "y = (b1+b2*x+b3*x**2+b4*x**3) / (1+b5*x+b6*x**2+b7*x**3)  +  e");

    const auto nelson = ctgrad::read_nist(path_of("Nelson"));
    BOOST_TEST(nelson.model == "log[y] = b1 - b2*x1 * exp[-b3*x2]  +  e");
    BOOST_TEST(nelson.predictor_names == (std::vector<std::string>{"x1", "x2"}), boost::test_tools::per_element());
    BOOST_TEST(nelson.start2[1] == 0.000000005);
    BOOST_TEST(nelson.certified_values[1] == 5.6177717026E-09);
    BOOST_TEST(nelson.y(0) == 15.0);
    BOOST_TEST(nelson.predictors(0, 0) == 1.0);
    BOOST_TEST(nelson.predictors(0, 1) == 180.0);

    const auto mgh09 = ctgrad::read_nist(path_of("MGH09"));
    BOOST_TEST(mgh09.start1[2] == 41.5);
    BOOST_TEST(mgh09.start2[2] == 0.415);
    BOOST_TEST(mgh09.certified_std_devs[3] == 9.0025542308E-02);

    const auto gauss = ctgrad::read_nist(path_of("Gauss1"));
    BOOST_TEST(gauss.certified_values[7] == 1.8389389025E+01);
    BOOST_TEST(gauss.x(249) == 250.0);
}

BOOST_AUTO_TEST_CASE(crlf_and_lf_read_the_same) {
    auto lines = lines_of("Misra1a");
    for (auto& l : lines)
        if (l.size() >= 2 && l[l.size() - 2] == '\r') l.erase(l.size() - 2, 1);
    const auto lf = from_text(joined(lines), "Misra1a_lf.dat");
    const auto crlf = ctgrad::read_nist(path_of("Misra1a"));
    BOOST_TEST(lf.certified_values == crlf.certified_values, boost::test_tools::per_element());
    BOOST_TEST(lf.model == crlf.model);
    BOOST_TEST(lf.y == crlf.y);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(errors)

BOOST_AUTO_TEST_CASE(missing_file) {
    try {
        ctgrad::read_nist("no/such/file.dat");
        BOOST_ERROR("no exception");
    } catch (const ctgrad::data_error& e) {
        const std::string what = e.what();
        BOOST_TEST(what.find("ctgrad::read_nist: no/such/file.dat: no such file") == 0u, what);
        BOOST_TEST(e.line() == 0u);
    }
}

BOOST_AUTO_TEST_CASE(truncated_data) {
    auto lines = lines_of("Misra1a");
    lines.resize(71); // the header promises 74
    check_error(joined(lines), 7, "the Data run to line 74, but the file ends at line 71");
}

BOOST_AUTO_TEST_CASE(garbled_parameter_line) {
    auto lines = lines_of("Misra1a");
    lines[40] = "  b1 =   500         250           2.38942x2918E+02  2.7070075241E+00\r\n";
    check_error(joined(lines), 41, "'2.38942x2918E+02' is not a finite number (parameter b1)");
    lines[40] = "  b1 =   500         250           2.3894212918E+02\r\n";
    check_error(joined(lines), 41, "expected a parameter line");
}

BOOST_AUTO_TEST_CASE(observation_count_not_matching) {
    auto lines = lines_of("Misra1a");
    lines[46] = "Number of Observations:                            15\r\n";
    check_error(joined(lines), 47, "'Number of Observations' says 15, but the header's data lines 61 to 74 hold 14");
}

BOOST_AUTO_TEST_CASE(garbled_and_short_data_rows) {
    auto lines = lines_of("Misra1a");
    auto bad = lines;
    bad[61] = "      14.73E0     11a4.9E0\r\n";
    check_error(joined(bad), 62, "'11a4.9E0' is not a finite number");
    bad = lines;
    bad[62] = "      17.94E0\r\n";
    check_error(joined(bad), 63, "expected 2 numbers (y and 1 predictor), found 1 words");
}

BOOST_AUTO_TEST_CASE(text_after_the_data) {
    auto lines = lines_of("Misra1a");
    lines.push_back("      90.00E0     800.0E0\r\n");
    check_error(joined(lines), 75, "text after the data, which the header says end at line 74");
}

BOOST_AUTO_TEST_CASE(not_a_nist_file) {
    check_error("", 0, "the file is empty");
    check_error("x,y\n1,2\n", 0, "no a header line 'Starting Values (lines A to B)'");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(score)

BOOST_AUTO_TEST_CASE(log_relative_error_on_simple_values) {
    BOOST_TEST(ctgrad::log_relative_error(1.0, 1.0) == 11.0);
    BOOST_TEST(ctgrad::log_relative_error(1.1, 1.0) == 1.0, boost::test_tools::tolerance(1e-12));
    BOOST_TEST(ctgrad::log_relative_error(100.001, 100.0) == 5.0, boost::test_tools::tolerance(1e-9));
    BOOST_TEST(ctgrad::log_relative_error(-2.0, 1.0) == 0.0);         // |b - b*| / |b*| = 3: held at 0
    BOOST_TEST(ctgrad::log_relative_error(1.0 + 1e-15, 1.0) == 11.0); // more digits than NIST certifies
    BOOST_TEST(ctgrad::log_relative_error(std::nan(""), 1.0) == 0.0);
    BOOST_TEST(ctgrad::log_relative_error(1e-3, 0.0) == 3.0, boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(lre_is_the_worst_parameter) {
    BOOST_TEST(ctgrad::lre({1.0, 2.0}, {1.0, 2.0}) == 11.0);
    BOOST_TEST(ctgrad::lre({1.0, 2.02}, {1.0, 2.0}) == 2.0, boost::test_tools::tolerance(1e-9));
    const auto p = ctgrad::read_nist(path_of("Misra1a"));
    BOOST_TEST(ctgrad::lre(p.certified_values, p.certified_values) == 11.0);
    BOOST_TEST(ctgrad::lre(p.start1, p.certified_values) < 4.0);
    BOOST_CHECK_THROW(ctgrad::lre({1.0}, {1.0, 2.0}), ctgrad::invalid_argument);
    BOOST_CHECK_THROW(ctgrad::lre({}, {}), ctgrad::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()
