# Shared by the bench scripts that link a C driver against the library (source it).
# bench_compile ROOT BUILD SRC OUT: compile SRC against BUILD/libketsim.a into OUT with the
# flags of the library's own build (-O2, C17, OpenMP) and every library it links; exits with
# a one-line message when the library is not built.
bench_compile() {
    local root=$1 build=$2 src=$3 out=$4
    local lib=$build/libketsim.a
    [ -f "$lib" ] || { echo "$(basename "$src" .c): $lib not found (make build)" >&2; exit 1; }
    gcc -O2 -std=c17 -fopenmp -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -I"$root/include" \
        -I"$root/src" "$src" "$lib" $(pkg-config --libs jansson gsl cairo fontconfig) \
        -lsundials_cvode -lsundials_nvecserial -lnlopt -lm -o "$out"
}

bench_machine() {
    echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load $(cut -d' ' -f1-3 /proc/loadavg)"
}
