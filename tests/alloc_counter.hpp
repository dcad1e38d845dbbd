#pragma once
// A global allocation counter: the test program that includes
// alloc_counter.cpp replaces operator new, so every heap allocation in the
// process is seen. Measure a region with alloc_scope.

#include <cstddef>

namespace ksym_test {

/// Heap allocations made by the whole process so far.
std::size_t allocations() noexcept;

/// Allocations made since construction.
class alloc_scope {
public:
    alloc_scope() noexcept : start_(allocations()) {}
    [[nodiscard]] std::size_t count() const noexcept { return allocations() - start_; }

private:
    std::size_t start_;
};

}  // namespace ksym_test
