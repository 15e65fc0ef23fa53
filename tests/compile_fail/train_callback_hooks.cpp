// trainer::fit with a callback whose hook is misspelled (on_epoch_ends) must not compile:
// otherwise it would never be called. The error names the call and the hooks; the twin
// (CTGRAD_TWIN) spells the hook right and compiles.
// expect: ctgrad::trainer: a callback with none of the hooks on_fit_begin, on_batch_end, on_epoch_end, on_fit_end
// expect: not_a_callback<count_epochs
#include <ctgrad/ctgrad.hpp>
#include <ctgrad/models/linear_regression_scratch.hpp>

struct count_epochs {
    int m_epochs = 0;
#ifdef CTGRAD_TWIN
    void on_epoch_end(const auto&, const ctgrad::fit_state&) { ++m_epochs; }
#else
    void on_epoch_ends(const auto&, const ctgrad::fit_state&) { ++m_epochs; }
#endif
};

int main() {
    ctgrad::linear_regression_scratch<double> model(2, 0.03);
    ctgrad::data::dataset<double> data(xt::xtensor<double, 2>{{1.0, 2.0}, {3.0, 4.0}}, xt::xtensor<double, 1>{2.0, 4.0},
                                       {.num_train = 2});
    count_epochs counter;
    const ctgrad::trainer trainer({.max_epochs = 1});
    (void)trainer.fit(model, data, counter);
    return counter.m_epochs;
}
