//! Compiles the C shim behind `INCRBYFLOAT` (`src/command/string/long_double.c`):
//! Redis computes in `long double`, parsed by `strtold` and printed by `printf`, and
//! the C library is the one honest way to get the same digits.

fn main() {
    println!("cargo:rerun-if-changed=src/command/string/long_double.c");
    cc::Build::new().file("src/command/string/long_double.c").opt_level(2).compile("ferrum_long_double");
}
