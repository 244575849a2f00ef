fn main() -> std::process::ExitCode {
    hubstat::run(std::env::args_os()).into()
}
