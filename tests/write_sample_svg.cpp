// Writes two sample charts for tests/check_svg.py, which parses them as XML:
// argv[1], d2l's ProgressBoard figure for 3 epochs (train_loss twice per epoch,
// val_loss once per epoch); argv[2], a log-log chart of estimation error against
// data size, like the one the chapter's exercises ask for.
#include <ctgrad/io/plot.hpp>

#include <cmath>
#include <cstdio>
#include <exception>

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fputs("usage: write_sample_svg BOARD.svg ERROR.svg\n", stderr);
        return 2;
    }
    try {
        // A loss falling like the book's run (about 5e-5 after 3 epochs). d2l plots the mean
        // of each 16 of the 32 batches of an epoch at the mean of their x = batch / 32.
        const auto loss = [](double epochs) { return 10 * std::exp(-4.5 * epochs) + 5e-5; };
        ctgrad::plot::series train{"train_loss", {}, {}}, val{"val_loss", {}, {}};
        for (int half = 0; half < 6; ++half) {
            train.x.push_back((16 * half + 7.5) / 32);
            train.y.push_back(loss(train.x.back()));
        }
        for (int epoch = 1; epoch <= 3; ++epoch) {
            val.x.push_back(epoch);
            val.y.push_back(loss(epoch) * 1.1);
        }
        ctgrad::plot::write_svg(argv[1], {train, val});

        ctgrad::plot::series w{"|w - w*|", {}, {}}, b{"|b - b*|", {}, {}}, rate{"1/sqrt(n)", {}, {}};
        for (double n : {10., 20., 50., 100., 200., 500., 1000., 2000., 5000., 10000.}) {
            w.x.push_back(n);
            w.y.push_back(0.6 / std::sqrt(n) * (1 + 0.3 * std::sin(n)));
            b.x.push_back(n);
            b.y.push_back(0.4 / std::sqrt(n) * (1 + 0.3 * std::cos(n)));
            rate.x.push_back(n);
            rate.y.push_back(1 / std::sqrt(n));
        }
        ctgrad::plot::figure fig;
        fig.title = "estimation error";
        fig.x_label = "examples n";
        fig.y_label = "error";
        fig.log_x = fig.log_y = true;
        ctgrad::plot::write_svg(argv[2], {w, b, rate}, fig);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "write_sample_svg: %s\n", e.what());
        return 1;
    }
    return 0;
}
