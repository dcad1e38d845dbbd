# Debian's aarch64 cross compiler (g++-aarch64-linux-gnu) for a program with
# no OS: nothing is linked but what the program brings, so CMake's compiler
# checks build a static library instead of linking an executable.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_ASM_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
