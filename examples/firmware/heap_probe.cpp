// Links only if the firmware's link gives the heap to whoever asks: it must
// not (heap_check.cmake requires this link to fail on malloc and new).
// Built at -O0, so that neither allocation is optimised away.
#include <cstdlib>
#include <new>

int main() {
    int* p = new int(1);
    void* q = std::malloc(16);
    return *p + (q != nullptr);
}
