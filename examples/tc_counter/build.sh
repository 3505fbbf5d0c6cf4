#!/bin/sh
# Rebuilds tc_counter.bpf.o from tc_counter.bpf.c. The .o is committed, so running the example
# needs no compiler. Needs clang-19 and libbpf-dev (bpf/bpf_helpers.h); on Debian:
# apt-get install clang-19 libbpf-dev linux-libc-dev.
set -eu
cd "$(dirname "$0")"
CLANG=${CLANG:-clang-19}
ARCH_INC=/usr/include/$(uname -m)-linux-gnu
"$CLANG" -target bpf -O2 -g -fdebug-compilation-dir=. -I"$ARCH_INC" \
    -c tc_counter.bpf.c -o tc_counter.bpf.o
