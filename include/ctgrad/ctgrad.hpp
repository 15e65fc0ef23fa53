// ctgrad/ctgrad.hpp: the one include a user needs.
#ifndef CTGRAD_CTGRAD_HPP
#define CTGRAD_CTGRAD_HPP

#include "ctgrad/config.hpp"
#include "ctgrad/core/constant.hpp"
#include "ctgrad/core/operators.hpp"
#include "ctgrad/core/symbol.hpp"
#include "ctgrad/eval/batch.hpp"
#include "ctgrad/eval/fused.hpp"
#include "ctgrad/eval/parameter_store.hpp"
#include "ctgrad/eval/scalar_eval.hpp"
#include "ctgrad/io/to_string.hpp"
#include "ctgrad/symbolic/derivative.hpp"
#include "ctgrad/symbolic/grad.hpp"

#endif // CTGRAD_CTGRAD_HPP
