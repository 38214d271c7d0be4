#![forbid(unsafe_code)]

fn main() {
    println!("kasse {}", env!("CARGO_PKG_VERSION"));
}
