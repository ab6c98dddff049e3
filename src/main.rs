//! The `luahome` command-line interface (native only).

#[cfg(not(target_arch = "wasm32"))]
mod cli;

/// The collector allocates every Lua object on its own: mimalloc makes
/// allocation-heavy scripts markedly faster than the system allocator.
#[cfg(not(target_arch = "wasm32"))]
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    #[cfg(not(target_arch = "wasm32"))]
    std::process::exit(cli::main());
}
