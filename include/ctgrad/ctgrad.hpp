// ctgrad/ctgrad.hpp: the one include a user needs.
#ifndef CTGRAD_CTGRAD_HPP
#define CTGRAD_CTGRAD_HPP

#include "ctgrad/config.hpp"
#include "ctgrad/core/constant.hpp"
#include "ctgrad/core/operators.hpp"
#include "ctgrad/core/symbol.hpp"
#include "ctgrad/data/dataset.hpp"
#include "ctgrad/data/loader.hpp"
#include "ctgrad/data/random.hpp"
#include "ctgrad/data/synthetic.hpp"
#include "ctgrad/error.hpp"
#include "ctgrad/eval/batch.hpp"
#include "ctgrad/eval/fused.hpp"
#include "ctgrad/eval/parameter_store.hpp"
#include "ctgrad/eval/scalar_eval.hpp"
#include "ctgrad/io/loss_plot.hpp"
#include "ctgrad/io/plot.hpp"
#include "ctgrad/io/to_string.hpp"
#include "ctgrad/models/linear_regression_scratch.hpp"
#include "ctgrad/nn/linear.hpp"
#include "ctgrad/nn/losses.hpp"
#include "ctgrad/nn/model.hpp"
#include "ctgrad/optim/clip.hpp"
#include "ctgrad/optim/sgd.hpp"
#include "ctgrad/symbolic/derivative.hpp"
#include "ctgrad/symbolic/grad.hpp"
#include "ctgrad/train/callbacks.hpp"
#include "ctgrad/train/history.hpp"
#include "ctgrad/train/model.hpp"
#include "ctgrad/train/trainer.hpp"

#endif // CTGRAD_CTGRAD_HPP
