// ctgrad/symbolic/derivative_fwd.hpp: the recursion point the rule headers call back into.
#ifndef CTGRAD_SYMBOLIC_DERIVATIVE_FWD_HPP
#define CTGRAD_SYMBOLIC_DERIVATIVE_FWD_HPP

#include "ctgrad/symbolic/simplify.hpp"

namespace ctgrad::detail {

/// d(e, s) for any expression e; defined in symbolic/derivative.hpp.
template <class E, class S>
constexpr auto derive_any(const E& e, const S& s);

} // namespace ctgrad::detail

#endif // CTGRAD_SYMBOLIC_DERIVATIVE_FWD_HPP
