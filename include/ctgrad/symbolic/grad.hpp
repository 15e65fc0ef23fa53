// ctgrad/symbolic/grad.hpp: grad(e, s1, s2, ...), all the partials of e at once.
#ifndef CTGRAD_SYMBOLIC_GRAD_HPP
#define CTGRAD_SYMBOLIC_GRAD_HPP

#include "ctgrad/symbolic/derivative.hpp"

#include <boost/hana/tuple.hpp>

namespace ctgrad {

/// The partials (d(e, s1), d(e, s2), ...) as a boost::hana::tuple, in the order given.
template <expression E, class... S>
constexpr auto grad(const E& e, const S&... s) {
    static_assert(sizeof...(S) > 0, "ctgrad::grad(e, s1, ...) requires at least one symbol");
    return boost::hana::make_tuple(d(e, s)...);
}

} // namespace ctgrad

#endif // CTGRAD_SYMBOLIC_GRAD_HPP
