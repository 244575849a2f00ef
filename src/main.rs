/// An allocator that keeps freed memory for reuse: an import allocates and frees buffers
/// of megabytes per chunk, which the system allocator hands back and faults in again.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    hubstat::run(std::env::args_os()).into()
}
