// Misuses of bindings, batches and parameter stores must not compile, each with its own message;
// the twin (CTGRAD_TWIN) writes every call right and compiles.
// expect: ctgrad::eval: a symbol is bound twice
// expect: ctgrad: a param binds to a number
// expect: ctgrad: a param_vec binds to contiguous numbers
// expect: ctgrad::eval evaluates one example: bind each input to a number
// expect: ctgrad::make_batch needs at least one input
// expect: ctgrad::make_batch binds inputs (input, input_vec); parameters live in a parameter_store
// expect: ctgrad::make_batch: every input must hold the same number type
// expect: ctgrad::make_batch: an input is bound to data it cannot view in place
// expect: ctgrad::make_batch: the input vectors of one batch must share a layout
// expect: ctgrad::make_batch: a scalar input (input) is a column of numbers
// expect: ctgrad::parameter_store<T, ...>: T is float or double
// expect: ctgrad::parameter_store holds param and param_vec symbols only (inputs come with the batch)
// expect: ctgrad::predict: the model must give one number per example
// expect: ctgrad::padded_feature_major<T>: T is float or double
#include <ctgrad/ctgrad.hpp>

#include <list>
#include <vector>

constexpr ctgrad::param<"a"> a;
constexpr ctgrad::param_vec<"w"> w;
constexpr ctgrad::input<"y"> y;
constexpr ctgrad::input_vec<"x"> x;
constexpr ctgrad::input_vec<"z"> z;

double bound_twice() {
#ifdef CTGRAD_TWIN
    return ctgrad::eval(a * a, a = 1.0);
#else
    return ctgrad::eval(a * a, a = 1.0, a = 2.0);
#endif
}

double param_bound_to_a_vector() {
    const std::vector<double> values{1.0, 2.0};
#ifdef CTGRAD_TWIN
    return ctgrad::eval(a * a, a = values[0]);
#else
    return ctgrad::eval(a * a, a = values);
#endif
}

double param_vec_bound_to_a_list() {
#ifdef CTGRAD_TWIN
    const std::vector<double> values{1.0, 2.0};
#else
    const std::list<double> values{1.0, 2.0};
#endif
    return ctgrad::eval(ctgrad::sum(w), w = values);
}

double input_bound_to_a_column() {
    const xt::xtensor<double, 1> column{1.0, 2.0};
#ifdef CTGRAD_TWIN
    return ctgrad::eval(y * a, y = column(0), a = 1.0);
#else
    return ctgrad::eval(y * a, y = column, a = 1.0);
#endif
}

std::size_t batch_of_nothing() {
#ifdef CTGRAD_TWIN
    const xt::xtensor<double, 1> Y{1.0, 2.0};
    return ctgrad::make_batch(y = Y).examples();
#else
    return ctgrad::make_batch().examples();
#endif
}

std::size_t parameter_in_a_batch() {
    const xt::xtensor<double, 1> Y{1.0, 2.0};
#ifdef CTGRAD_TWIN
    return ctgrad::make_batch(y = Y).examples();
#else
    return ctgrad::make_batch(y = Y, w = Y).examples();
#endif
}

std::size_t batch_of_two_number_types() {
    const xt::xtensor<double, 2> X{{1.0, 2.0}};
#ifdef CTGRAD_TWIN
    const xt::xtensor<double, 1> Y{1.0, 2.0};
#else
    const xt::xtensor<float, 1> Y{1.0f, 2.0f};
#endif
    return ctgrad::make_batch(x = X, y = Y).examples();
}

std::size_t batch_of_two_layouts() {
    const xt::xtensor<double, 2> X{{1.0, 2.0}};    // feature-major: 1 feature, 2 examples
    const xt::xtensor<double, 2> rows{{1.0}, {2.0}}; // example-major: 2 examples, 1 feature
#ifdef CTGRAD_TWIN
    return ctgrad::make_batch(x = ctgrad::example_major(rows), z = ctgrad::example_major(rows)).examples();
#else
    return ctgrad::make_batch(x = X, z = ctgrad::example_major(rows)).examples();
#endif
}

std::size_t scalar_input_bound_to_rows() {
    const xt::xtensor<double, 2> rows{{1.0}, {2.0}};
#ifdef CTGRAD_TWIN
    const xt::xtensor<double, 1> Y{1.0, 2.0};
    return ctgrad::make_batch(x = ctgrad::example_major(rows), y = Y).examples();
#else
    return ctgrad::make_batch(x = ctgrad::example_major(rows), y = ctgrad::example_major(rows)).examples();
#endif
}

std::size_t batch_of_a_list() {
#ifdef CTGRAD_TWIN
    const std::vector<double> Y{1.0, 2.0};
#else
    const std::list<double> Y{1.0, 2.0};
#endif
    return ctgrad::make_batch(y = Y).examples();
}

double store_of_integers() {
#ifdef CTGRAD_TWIN
    const ctgrad::parameter_store<double, ctgrad::param<"a">> store{1.0};
#else
    const ctgrad::parameter_store<int, ctgrad::param<"a">> store{1};
#endif
    return store[a];
}

double store_of_an_input() {
#ifdef CTGRAD_TWIN
    const ctgrad::parameter_store<double, ctgrad::param<"a">> store{1.0};
    return store[a];
#else
    const ctgrad::parameter_store<double, ctgrad::input<"y">> store{1.0};
    return store[y];
#endif
}

double prediction_of_a_vector() {
    const xt::xtensor<double, 2> X{{1.0, 2.0}};
    const auto params = ctgrad::make_parameters(w = xt::xtensor<double, 1>{1.0});
#ifdef CTGRAD_TWIN
    return ctgrad::predict(ctgrad::dot(x, w), params, ctgrad::make_batch(x = X))(0);
#else
    return ctgrad::predict(x * w, params, ctgrad::make_batch(x = X))(0);
#endif
}

std::size_t padded_integers() {
#ifdef CTGRAD_TWIN
    const ctgrad::padded_feature_major<double> padded(2, 3);
#else
    const ctgrad::padded_feature_major<int> padded(2, 3);
#endif
    return padded.stride();
}

int main() {
    return static_cast<int>(bound_twice() + param_bound_to_a_vector() + param_vec_bound_to_a_list() +
                            input_bound_to_a_column() + static_cast<double>(batch_of_nothing()) +
                            static_cast<double>(parameter_in_a_batch()) + static_cast<double>(batch_of_two_number_types()) +
                            store_of_integers() + store_of_an_input() + prediction_of_a_vector() +
                            static_cast<double>(padded_integers()));
}
