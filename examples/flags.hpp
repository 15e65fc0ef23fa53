// examples/flags.hpp: the examples' command-line flags (--name value), checked strictly: an
// unknown flag, a missing value or a value that does not parse is a clear message and exit
// status 2. Not part of the library.
#ifndef CTGRAD_EXAMPLES_FLAGS_HPP
#define CTGRAD_EXAMPLES_FLAGS_HPP

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace examples {

class flags {
public:
    explicit flags(std::string program) : m_program(std::move(program)) {}

    /// --name N: a whole number in [min, max].
    flags& count(const std::string& name, std::uint64_t& out, std::uint64_t min, std::uint64_t max, std::string help) {
        return add(name, "N", std::move(help) + " (default " + std::to_string(out) + ")", [&out, name, min, max](const std::string& v) {
            errno = 0;
            char* end = nullptr;
            const unsigned long long parsed = std::strtoull(v.c_str(), &end, 10);
            if (v.empty() || v[0] == '-' || *end != '\0' || errno == ERANGE || parsed < min || parsed > max)
                throw std::invalid_argument("--" + name + " takes a whole number from " + std::to_string(min) + " to " +
                                            std::to_string(max) + ", not '" + v + "'");
            out = parsed;
        });
    }

    /// --name X: a finite number > 0.
    flags& positive(const std::string& name, double& out, std::string help) {
        return add(name, "X", std::move(help) + " (default " + shortest(out) + ")", [&out, name](const std::string& v) {
            errno = 0;
            char* end = nullptr;
            const double parsed = std::strtod(v.c_str(), &end);
            if (v.empty() || *end != '\0' || errno == ERANGE || !std::isfinite(parsed) || !(parsed > 0))
                throw std::invalid_argument("--" + name + " takes a finite number > 0, not '" + v + "'");
            out = parsed;
        });
    }

    /// --name PATH.
    flags& path(const std::string& name, std::string& out, std::string help) {
        return add(name, "FILE", std::move(help), [&out, name](const std::string& v) {
            if (v.empty()) throw std::invalid_argument("--" + name + " takes a file name");
            out = v;
        });
    }

    /// Parses argv; on --help prints usage and exits 0; on an error prints it with the usage
    /// to stderr and exits 2.
    void parse(int argc, char** argv) const {
        try {
            for (int i = 1; i < argc; ++i) {
                const std::string arg = argv[i];
                if (arg == "--help" || arg == "-h") {
                    std::cout << usage();
                    std::exit(0);
                }
                std::string name, value;
                if (arg.rfind("--", 0) != 0) throw std::invalid_argument("unexpected argument '" + arg + "'");
                if (const auto eq = arg.find('='); eq != std::string::npos) {
                    name = arg.substr(2, eq - 2);
                    value = arg.substr(eq + 1);
                } else {
                    name = arg.substr(2);
                    if (i + 1 >= argc) throw std::invalid_argument("--" + name + " needs a value");
                    value = argv[++i];
                }
                const auto found = m_setters.find(name);
                if (found == m_setters.end()) throw std::invalid_argument("unknown flag --" + name);
                found->second(value);
            }
        } catch (const std::invalid_argument& e) {
            std::cerr << m_program << ": " << e.what() << "\n\n" << usage();
            std::exit(2);
        }
    }

private:
    static std::string shortest(double v) {
        char buffer[32];
        std::snprintf(buffer, sizeof buffer, "%g", v);
        return buffer;
    }

    flags& add(const std::string& name, const std::string& metavar, std::string help, std::function<void(const std::string&)> set) {
        m_setters[name] = std::move(set);
        m_help.push_back("  --" + name + " " + metavar + std::string(name.size() + metavar.size() < 18 ? 18 - name.size() - metavar.size() : 1, ' ') + help);
        return *this;
    }

    std::string usage() const {
        std::string out = "usage: " + m_program + " [flags]\n";
        for (const auto& line : m_help) out += line + '\n';
        return out;
    }

    std::string m_program;
    std::map<std::string, std::function<void(const std::string&)>> m_setters;
    std::vector<std::string> m_help;
};

} // namespace examples

#endif // CTGRAD_EXAMPLES_FLAGS_HPP
