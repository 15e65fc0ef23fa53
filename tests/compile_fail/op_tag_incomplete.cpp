// An op tag that is not in ctgrad::ops cannot make a node (the law tests iterate that list, so
// an unlisted op would go untested), and one without lanes(), its SIMD form, cannot be applied
// to a batch: each is a static_assert that names the tag. The twin (CTGRAD_TWIN) uses a listed
// op and gives the tag its lanes(), and compiles.
// expect: ctgrad: an op missing from ctgrad::ops (core/op_tags.hpp)
// expect: ctgrad: this op's tag
// expect: op_without_simd_form<half_tag>
// expect: has no lanes(), its form on SIMD batches: add one beside its apply()
#include <ctgrad/ctgrad.hpp>
#include <ctgrad/simd/simd.hpp>

struct half_tag : ctgrad::detail::call_op {
    static constexpr std::string_view name = "half";
    template <class T> static T apply(T a) { return a / T(2); }
#ifdef CTGRAD_TWIN
    template <class V> static V lanes(const V& a) { return a / V(2); }
#endif
};

int main() {
    constexpr ctgrad::param<"a"> a;
#ifdef CTGRAD_TWIN
    [[maybe_unused]] constexpr auto e = ctgrad::make_node<ctgrad::exp_tag>(a);
#else
    [[maybe_unused]] constexpr auto e = ctgrad::make_node<half_tag>(a);
#endif
    const auto halves = ctgrad::simd::apply<half_tag>(ctgrad::simd::batch<double>(3.0));
    return static_cast<int>(halves.get(0));
}
